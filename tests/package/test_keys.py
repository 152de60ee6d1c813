"""The snapshot key store: keys on disk readable by their owner only, rotation, station copies."""
import datetime
import json
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from lifeline.package.keys import KeyStore, KeyStoreError
from lifeline.snapshots import storage

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

T0 = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=datetime.UTC)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_files_only_the_owner_can_read(tmp_path):
    store = KeyStore(directory=tmp_path / "keys")
    key = store.create(T0)
    assert mode(tmp_path / "keys") == 0o700
    assert mode(tmp_path / "keys" / f"{key.id}.json") == 0o600
    assert store.get(key.id) == key
    assert key.id.startswith("20250301-")


def test_rotation_new_packages_use_the_newest_key_old_keys_stay(tmp_path):
    store = KeyStore(directory=tmp_path / "keys")
    first = store.create(T0)
    second = store.create(T0 + datetime.timedelta(days=90))
    assert store.current() == second
    assert [k.id for k in store.keys()] == [first.id, second.id]
    assert store.get(first.id) == first


def test_one_key_file_named_by_the_setting(tmp_path, settings):
    settings.SNAPSHOT_KEY_FILE = str(tmp_path / "snapshot-keys.json")
    store = storage.keystore()
    first, second = store.create(T0), store.create(T0 + datetime.timedelta(hours=1))
    assert mode(tmp_path / "snapshot-keys.json") == 0o600
    assert [k["id"] for k in json.loads((tmp_path / "snapshot-keys.json").read_text())["keys"]] == [first.id, second.id]
    assert storage.keystore().current() == second


def test_a_key_file_others_may_read_is_refused(tmp_path):
    store = KeyStore(directory=tmp_path / "keys")
    key = store.create(T0)
    path = tmp_path / "keys" / f"{key.id}.json"
    path.chmod(0o644)
    with pytest.raises(KeyStoreError, match=r"may be read by others \(mode 644\); keys must be 0600: chmod 600"):
        store.keys()


def test_missing_and_empty_key_store_say_what_to_do(tmp_path):
    store = KeyStore(directory=tmp_path / "keys")
    with pytest.raises(KeyStoreError, match="no key in the key store .* `lifeline snapshot key create`"):
        store.current()
    store.create(T0)
    with pytest.raises(KeyStoreError, match="key 20990101-00000000 is not in the key store"):
        store.get("20990101-00000000")


def test_a_damaged_key_file_is_named(tmp_path):
    store = KeyStore(directory=tmp_path / "keys")
    key = store.create(T0)
    path = tmp_path / "keys" / f"{key.id}.json"
    data = json.loads(path.read_text())
    data["secret"] = data["secret"][:8]
    path.write_text(json.dumps(data))
    with pytest.raises(KeyStoreError, match=f"{path}: key {key.id} has the wrong length"):
        store.keys()


def test_a_station_copy_verifies_and_decrypts_but_cannot_sign(tmp_path):
    key = KeyStore(directory=tmp_path / "keys").create(T0)
    station = KeyStore(directory=tmp_path / "station")
    station.add(key.public_only())
    copy = station.get(key.id)
    assert copy.signing is None and copy.secret == key.secret
    signature = key.sign(b"manifest")
    assert copy.verifies(signature, b"manifest") and not copy.verifies(signature, b"other")
    with pytest.raises(KeyStoreError, match="no signing half here"):
        copy.sign(b"manifest")


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def test_key_store_errors_are_in_chinese_by_default(tmp_path, chinese):
    with pytest.raises(KeyStoreError, match=r"的密钥库中没有密钥；请用 `lifeline snapshot key create` 创建$"):
        KeyStore(directory=tmp_path / "none").current()


def test_key_commands_create_and_list(tmp_path, settings, capsys, chinese):
    settings.DATA_DIR = tmp_path
    settings.SNAPSHOT_KEY_FILE = None
    call_command("snapshot", "key", "list")
    assert "还没有密钥" in capsys.readouterr().out
    call_command("snapshot", "key", "create")
    call_command("snapshot", "key", "create")
    out = capsys.readouterr().out
    keys = storage.keystore().keys()
    assert len(keys) == 2 and f"{keys[1].id}" in out and str(tmp_path / "keys") in out
    listed = out.strip().splitlines()[-2:]
    assert listed[0].startswith(keys[0].id) and "当前" not in listed[0]
    assert listed[1].startswith(keys[1].id) and listed[1].endswith("当前")


def test_key_command_refuses_a_key_file_others_may_read(tmp_path, settings):
    settings.SNAPSHOT_KEY_FILE = str(tmp_path / "keys.json")
    storage.keystore().create(T0)
    (tmp_path / "keys.json").chmod(0o640)
    with pytest.raises(CommandError, match="may be read by others"):
        call_command("snapshot", "key", "list")
