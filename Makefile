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

# pip quietly: its warnings (running as root, version checks, dependency notes) go, its errors stay.
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore $(BIN)/pip install -q
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@set -o pipefail; $(PIP) --upgrade pip 2>&1 | { grep -v -e '^WARNING' -e '^ *$$' -e '^\[notice\]' || true; }
	@set -o pipefail; $(PIP) -e '.[test]' 2>&1 | { grep -v -e '^WARNING' -e '^ *$$' -e '^\[notice\]' || true; }
	touch $@

messages: $(BIN)/.installed
	$(BIN)/lifeline compilemessages -v0 --ignore=.venv --ignore=var

# The demo HIS that `lifeline demo` writes: the worker takes snapshots of it.
run: export LIFELINE_SNAPSHOT_MAPPING ?= $(LIFELINE_DATA_DIR)/demo_his.yaml
# The address the server listens on is the one the login block prints (and links point at).
run: export LIFELINE_BIND ?= 127.0.0.1:8000
run: export LIFELINE_BASE_URL ?= http://$(LIFELINE_BIND)
# The logins come last, once the server answers: a short block with the demo users' one password.
run: setup
	$(BIN)/lifeline migrate -v0
	@$(BIN)/lifeline demo > $(LIFELINE_DATA_DIR)/demo-logins.txt
	@$(BIN)/lifeline worker & worker=$$!; $(BIN)/lifeline serve & server=$$!; \
	trap "kill $$worker $$server" EXIT; \
	for i in $$(seq 50); do $(BIN)/python -c "import urllib.request as u; u.urlopen('http://$${LIFELINE_BIND}/healthz', timeout=1)" 2>/dev/null && break; sleep 0.2; done; \
	cat $(LIFELINE_DATA_DIR)/demo-logins.txt; wait $$server

# Style (ruff) and the layering of the apps (import-linter; both configured in pyproject.toml).
lint: setup
	$(BIN)/ruff check lifeline tests bench
	$(BIN)/lint-imports

# The lint, the whole suite on SQLite, then every test that uses Lifeline's database again on
# PostgreSQL (marked django_database by tests/conftest.py; the others cannot tell the engines apart).
# Each pass runs in TEST_WORKERS processes (pytest-xdist; auto: one per CPU). worksteal hands each
# worker a run of neighbouring tests, so a module's expensive fixtures are mostly built once.
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist worksteal
test: setup lint
	$(BIN)/pytest $(PYTEST_PARALLEL)
	@echo "PostgreSQL pass: the tests that use Lifeline's database; the others ran above with the same result."
	LIFELINE_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_PARALLEL) -m "django_database and not browser"

bench: setup
	@for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var *.egg-info
