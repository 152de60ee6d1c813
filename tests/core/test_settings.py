"""Settings come only from LIFELINE_* environment variables."""
import json
import os
import subprocess
import sys


def settings_under(tmp_path, code=None, **env):
    code = code or ("import django, json; django.setup(); from django.conf import settings as s; "
                    "print(json.dumps([s.TIME_ZONE, s.LANGUAGE_CODE, s.DATABASES['default']['ENGINE'], "
                    "s.DATABASES['default']['NAME'], s.SECRET_KEY]))")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "lifeline.settings", "LIFELINE_DATA_DIR": str(tmp_path), **env})
    out = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_defaults_are_shanghai_chinese_and_sqlite(tmp_path):
    tz, lang, engine, name, key = settings_under(tmp_path)
    assert (tz, lang) == ("Asia/Shanghai", "zh-hans")
    assert engine.endswith("sqlite3") and name == str(tmp_path / "lifeline.sqlite3")
    assert key and settings_under(tmp_path)[4] == key  # generated once, kept


def test_environment_overrides(tmp_path):
    tz, lang, engine, name, key = settings_under(
        tmp_path, LIFELINE_TIME_ZONE="UTC", LIFELINE_LANGUAGE="en", LIFELINE_SECRET_KEY="s3cret",
        LIFELINE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/somewhere")
    assert (tz, lang, key) == ("UTC", "en", "s3cret")
    assert engine.endswith("postgresql") and name == "somewhere"
