# Lifeline: `make run` starts it with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Browser tests, Chinese fonts for PDFs, gettext for the translations, Alertmanager, node_exporter and
# blackbox_exporter for the detection tests.
APT_PACKAGES := chromium chromium-driver fonts-wqy-microhei gettext prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter
PG_URL ?= postgres://postgres@127.0.0.1:5432/lifeline
export LIFELINE_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint setup system messages bench clean

setup: system $(BIN)/.installed messages

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

messages: $(BIN)/.installed
	$(BIN)/lifeline compilemessages -v0 --ignore=.venv --ignore=var

# The demo HIS that `lifeline demo` writes: the worker takes snapshots of it.
run: export LIFELINE_SNAPSHOT_MAPPING ?= $(LIFELINE_DATA_DIR)/demo_his.yaml
run: setup
	$(BIN)/lifeline migrate -v0
	$(BIN)/lifeline demo
	@$(BIN)/lifeline worker & worker=$$!; trap "kill $$worker" EXIT; $(BIN)/lifeline serve

# Style (ruff) and the layering of the apps (import-linter; both configured in pyproject.toml).
lint: setup
	$(BIN)/ruff check lifeline tests bench
	$(BIN)/lint-imports

# The lint, the whole suite on SQLite, then every database test again on PostgreSQL.
test: setup lint
	$(BIN)/pytest
	LIFELINE_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser"

bench: setup
	@for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var *.egg-info
