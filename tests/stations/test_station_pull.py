"""`lifeline station pull`, run as a workstation runs it (its own data directory, the station's
copy of the keys) against a live server: the chain downloaded, checked, verified and applied
into DIR/base.sqlite3, and checked in; a download cut off continues with a Range request; a
damaged partial file is fetched again; a wrong token or wrong keys change nothing."""
import dataclasses
import json
import subprocess
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from lifeline.core import clock as lifeline_clock
from lifeline.his import demo_his
from lifeline.package.keys import Key, KeyStore
from lifeline.snapshots import builder, storage
from lifeline.stations import distribution, downloads, registry
from lifeline.stations.models import Station, StationCheckIn
from lifeline.workstation import store
from tests.snapshots.helpers import (
    LIFELINE,
    assert_same_rows,
    cli_env,
    database_rows,
    snapshot_dir,  # noqa: F401 (a fixture)
    source_rows,
)
from tests.stations.chains import chain, small_his, station  # noqa: F401
from tests.stations.cutting_proxy import CuttingProxy

pytestmark = pytest.mark.django_db(transaction=True)
# A workstation has no server settings: were `station pull` to set Django up, it would fail.
NO_SERVER_SETTINGS = {"DJANGO_SETTINGS_MODULE": "lifeline.no_server_settings_on_a_workstation"}


@pytest.fixture
def station_keys(snapshot_dir, tmp_path):
    """The key file a station gets: `lifeline station keys --out FILE`."""
    out = tmp_path / "station-keys.json"
    call_command("station", "keys", "--out", str(out))
    return out


@pytest.fixture
def ranges(monkeypatch):
    """The Range headers the live server was asked for."""
    seen = []
    real = downloads.parse_range

    def spy(header, size):
        seen.append(header)
        return real(header, size)

    monkeypatch.setattr(downloads, "parse_range", spy)
    return seen


@pytest.fixture
def workstation(tmp_path, station, station_keys):
    """pull(server_url) runs `lifeline station pull` in the workstation's own home."""
    home = tmp_path / "workstation"
    home.mkdir()
    directory = home / "data"

    def pull(server_url, token=station[1], keys=station_keys):
        env = cli_env(home, LIFELINE_STATION_TOKEN=token, **NO_SERVER_SETTINGS)
        done = subprocess.run([LIFELINE, "station", "pull", "--server", server_url, "--dir", str(directory),
                               "--keys", str(keys)], env=env, capture_output=True, text=True, timeout=300)
        return done

    pull.dir = directory
    pull.rows = lambda: database_rows(directory / "base.sqlite3", key=store.data_key(station_keys))
    return pull


def held_files(directory):
    return sorted(p.name for p in (directory / "packages").iterdir())


def test_a_station_pulls_the_chain_applies_it_and_checks_in(live_server, chain, workstation, small_his):
    full, incremental = chain
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    base = workstation.dir / "base.sqlite3"
    assert done.stdout.splitlines()[-1] == str(base)
    assert f"{full.package_id}：正在下载全量包，{full.size_bytes:,} 字节" in done.stdout
    assert f"已应用 2 个包，至 {incremental.package_id}" in done.stdout
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))
    assert workstation.dir.stat().st_mode & 0o777 == 0o700 and base.stat().st_mode & 0o777 == 0o600
    assert held_files(workstation.dir) == sorted([f"{full.package_id}.llsnap", f"{incremental.package_id}.llsnap"])
    # what the desk's local stock is rebased on: nothing merged, this HIS has no merge ledger yet
    assert json.loads((workstation.dir / "holding.json").read_text())["merged"] == {}

    station = Station.objects.get()
    assert (station.package_id, station.package_built_at) == (incremental.package_id, incremental.started_at)
    assert station.client_version.startswith("lifeline ")
    assert StationCheckIn.objects.get().package_ids == [full.package_id, incremental.package_id]

    again = workstation(live_server.url)
    assert again.returncode == 0 and f"基础数据已是最新：{incremental.package_id}" in again.stdout
    assert "正在下载" not in again.stdout and StationCheckIn.objects.count() == 2

    demo_his.churn(small_his.url, percent=2, seed=4)
    newer = builder.build(small_his.mapping_path, incremental=True)
    third = workstation(live_server.url)
    assert third.returncode == 0, third.stderr
    assert third.stdout.count("正在下载") == 1 and f"{newer.package_id}：正在下载增量包" in third.stdout
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))
    assert Station.objects.get().package_id == newer.package_id


def test_a_download_cut_off_continues_where_it_stopped(live_server, chain, workstation, ranges, small_his):
    server = urlsplit(live_server.url)
    proxy = CuttingProxy((server.hostname, server.port), after=120_000)
    try:
        done = workstation(proxy.url)
    finally:
        proxy.close()
    assert done.returncode == 0, done.stderr
    assert proxy.cut and "连接在" in done.stdout and "正在重试" in done.stdout
    assert len(ranges) == 1
    start = int(ranges[0].removeprefix("bytes=").removesuffix("-"))
    assert 100_000 < start < 120_000  # what arrived before the cut (less the response's headers)
    assert f"{chain[0].package_id}：从第 {start:,} 字节续传" in done.stdout
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))


def test_a_partial_file_left_behind_continues_with_a_range(live_server, chain, workstation, ranges, small_his):
    full = chain[0]
    (workstation.dir / "packages").mkdir(parents=True)
    part = workstation.dir / "packages" / f"{full.package_id}.llsnap.part"
    part.write_bytes(open(full.path, "rb").read()[:100_000])
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    assert ranges == ["bytes=100000-"] and "从第 100,000 字节续传" in done.stdout
    assert not part.exists()
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))


def test_a_damaged_partial_file_is_fetched_again(live_server, chain, workstation, ranges, small_his):
    full = chain[0]
    (workstation.dir / "packages").mkdir(parents=True)
    (workstation.dir / "packages" / f"{full.package_id}.llsnap.part").write_bytes(b"\0" * 100_000)
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    assert ranges == ["bytes=100000-"] and "下载后已损坏（SHA-256 与清单不符）" in done.stdout
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))


def test_a_wrong_or_revoked_token_gets_nothing(live_server, chain, workstation, station):
    wrong = workstation(live_server.url, token="st_" + "x" * 43)
    assert wrong.returncode == 1 and "服务器拒绝了工作站令牌（错误或已吊销）：" in wrong.stderr
    assert not (workstation.dir / "packages").exists() or held_files(workstation.dir) == []
    registry.revoke(station[0], lifeline_clock.now())
    revoked = workstation(live_server.url)
    assert revoked.returncode == 1 and "HTTP 401" in revoked.stderr
    assert not (workstation.dir / "base.sqlite3").exists() and not StationCheckIn.objects.exists()


def test_packages_that_do_not_verify_leave_the_base_data_as_it_was(live_server, chain, workstation, small_his,
                                                                    tmp_path):
    assert workstation(live_server.url).returncode == 0
    base = workstation.dir / "base.sqlite3"
    before = base.read_bytes()
    demo_his.churn(small_his.url, percent=2, seed=5)
    builder.build(small_his.mapping_path, incremental=True)

    real = storage.keystore().current()
    impostor = dataclasses.replace(Key.generate(real.created), id=real.id).public_only()
    wrong_keys = tmp_path / "wrong-keys.json"
    KeyStore(file=wrong_keys).add(impostor)
    done = workstation(live_server.url, keys=wrong_keys)
    assert done.returncode == 1
    assert "包链校验未通过，基础数据保持不变：" in done.stderr and "wrong key" in done.stderr
    assert base.read_bytes() == before
    assert json.loads((workstation.dir / "holding.json").read_text())["applied"] == chain[1].package_id
    assert Station.objects.get().package_id == chain[1].package_id


def test_a_package_pruned_while_pulling_makes_the_station_list_the_chain_again(live_server, chain, workstation,
                                                                               monkeypatch, small_his):
    """A new build may prune the chain between the listing and a download: 410, and the next
    attempt asks for the newest chain again."""
    real, asked = distribution.open_published, []

    def pruned_once(package_id):
        asked.append(package_id)
        if len(asked) == 1:
            raise distribution.Gone(f"package {package_id} was pruned")
        return real(package_id)

    monkeypatch.setattr(distribution, "open_published", pruned_once)
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    assert "HTTP 410" in done.stdout and "正在重试" in done.stdout
    assert asked == [chain[0].package_id, chain[0].package_id, chain[1].package_id]
    assert_same_rows(workstation.rows(), source_rows(small_his.mapping))
