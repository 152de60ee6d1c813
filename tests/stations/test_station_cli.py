"""`lifeline station create|list|revoke|keys` on the server."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from lifeline.audit.models import AuditEntry
from lifeline.package.keys import KeyStore
from lifeline.snapshots import storage
from lifeline.stations import registry
from lifeline.stations.models import Station
from tests.snapshots.helpers import snapshot_dir  # noqa: F401

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("station", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_prints_the_token_last_and_stores_only_its_digest():
    lines = run("create", "--name", "挂号-01", "--department", "门诊挂号", "--location", "门诊楼一层")
    token = lines[-1]
    assert lines[0] == "已创建工作站 挂号-01（门诊挂号）；其令牌仅此一次显示："
    assert token.startswith("st_") and len(token) > 40
    station = Station.objects.get()
    assert registry.find(token) == station and token not in station.token_hash
    entry = AuditEntry.objects.filter(object_type="stations.station").get()
    assert entry.changes["token_hash"] == "***" and token not in json.dumps(entry.changes)


@pytest.mark.parametrize("args, message", [
    (["--name", "挂号-01", "--department", "门诊挂号"], "--name: 具有 名称 的 应急工作站 已存在。"),
    (["--name", "  ", "--department", "门诊挂号"], "--name: 此字段不能为空。"),
    (["--name", "挂号-02", "--department", ""], "--department: 此字段不能为空。"),
])
def test_create_names_the_bad_field_and_adds_nothing(args, message):
    registry.create(name="挂号-01", department="门诊挂号")
    with pytest.raises(CommandError) as refused:
        run("create", *args)
    assert str(refused.value) == message
    assert Station.objects.count() == 1


def test_list_and_revoke(clock):
    _s, token = registry.create(name="挂号-01", department="门诊挂号")
    registry.create(name="药房-01", department="门诊药房", location="门诊楼二层")
    listed = run("list")
    assert listed == ["挂号-01\t门诊挂号\t-\t-\t-\t-\t过期", "药房-01\t门诊药房\t门诊楼二层\t-\t-\t-\t过期"]
    assert run("revoke", "挂号-01") == ["工作站 挂号-01 已吊销：其令牌已失效。"]
    assert registry.find(token) is None
    assert run("list")[-1] == "挂号-01\t门诊挂号\t-\t-\t-\t-\t已吊销"
    with pytest.raises(CommandError, match="没有名为 '挂号-01' 的在用工作站"):
        run("revoke", "挂号-01")


def test_keys_writes_the_stations_copy_that_cannot_sign(snapshot_dir, tmp_path):
    storage.keystore().create()  # rotated: older packages still need the first key
    out = tmp_path / "station-keys.json"
    lines = run("keys", "--out", str(out))
    assert lines[-1] == str(out) and lines[0].startswith("已为工作站写出 2 个密钥（可解密和校验，不能签名）")
    assert out.stat().st_mode & 0o777 == 0o600
    copy = KeyStore(file=out).keys()
    assert [k.id for k in copy] == [k.id for k in storage.keystore().keys()]
    assert all(k.signing is None for k in copy) and "signing" not in out.read_text()


def test_keys_without_a_key_says_how_to_make_one(tmp_path, settings):
    settings.DATA_DIR, settings.SNAPSHOT_KEY_FILE = tmp_path, None
    with pytest.raises(CommandError, match="lifeline snapshot key create"):
        run("keys", "--out", str(tmp_path / "k.json"))
