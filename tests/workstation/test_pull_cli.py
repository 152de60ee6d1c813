"""`lifeline station pull` runs on a workstation: no server settings, no Django (lifeline/cli.py
hands it to lifeline.workstation.cli first). The whole pull against a live server is in
tests/stations/test_station_pull.py."""
import os
import subprocess
import sys
from pathlib import Path

LIFELINE = str(Path(sys.executable).with_name("lifeline"))
# Were the command to set Django up, these settings would not import.
NO_SERVER = {"DJANGO_SETTINGS_MODULE": "lifeline.no_server_settings_on_a_workstation"}
DJANGO_LOADED = ("import sys; from lifeline.cli import main; code = main(sys.argv[1:]); "
                 "loaded = [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')]; "
                 "print('loaded:', loaded[:3], file=sys.stderr); sys.exit(code)")


def run(tmp_path, *args, command=(LIFELINE,)):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFELINE_", "DJANGO_"))}
    return subprocess.run([*command, "station", "pull", "--server", "http://127.0.0.1:9",
                           "--dir", str(tmp_path / "data"), "--keys", str(tmp_path / "keys.json"), *args],
                          env={**env, **NO_SERVER}, capture_output=True, text=True, timeout=120)


def test_pull_needs_a_token(tmp_path):
    done = run(tmp_path, "--token", "")
    assert done.returncode == 1 and "--token：需要工作站令牌" in done.stderr
    assert not (tmp_path / "data").exists()


def test_pull_without_a_server_says_why_and_never_loads_django(tmp_path):
    done = run(tmp_path, "--token", "st_test", command=(sys.executable, "-c", DJANGO_LOADED))
    assert done.returncode == 1 and "http://127.0.0.1:9/api/v1/continuity/packages/latest" in done.stderr
    assert "loaded: []" in done.stderr


def test_pull_needs_the_station_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFELINE_", "DJANGO_"))}
    done = subprocess.run([LIFELINE, "station", "pull", "--server", "http://127.0.0.1:9", "--dir", str(tmp_path)],
                          env={**env, **NO_SERVER}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--keys" in done.stderr
