"""The distribution API: the newest chain, resumable package downloads (206, Content-Range,
If-Range, 416), station tokens apart from users' tokens, pruned packages (410), and what a
station checks in with what it holds."""
import pytest

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.core import clock as lifeline_clock
from lifeline.package import container
from lifeline.snapshots import builder
from lifeline.stations import downloads, registry
from lifeline.stations.models import Station, StationCheckIn
from tests.errors import problems
from tests.snapshots.helpers import snapshot_dir  # noqa: F401
from tests.stations.chains import bearer, chain, small_his, station  # noqa: F401

pytestmark = pytest.mark.django_db

LATEST = "/api/v1/continuity/packages/latest"


def package_url(package_id):
    return f"/api/v1/continuity/packages/{package_id}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_station_gets_the_newest_chain_in_order_and_each_file_whole(client, chain, station):
    full, incremental = chain
    _station, token = station
    listing = client.get(LATEST, **bearer(token))
    assert listing.status_code == 200
    data = listing.json()
    assert (data["chain"], data["newest"]) == (full.package_id, incremental.package_id)
    assert [(p["id"], p["kind"], p["parent"]) for p in data["packages"]] == [
        (full.package_id, "full", None), (incremental.package_id, "incremental", full.package_id)]
    for item, record in zip(data["packages"], chain):
        assert item["size"] == record.size_bytes
        assert item["sha256"] == container.file_sha256(record.path)
        assert item["built_at"].startswith(record.started_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert item["url"] == f"http://testserver{package_url(record.package_id)}"

        download = client.get(package_url(record.package_id), **bearer(token))
        assert download.status_code == 200 and download.streaming
        assert download["Accept-Ranges"] == "bytes" and download["ETag"] == f'"{item["sha256"]}"'
        assert int(download["Content-Length"]) == record.size_bytes
        content = body(download)
        assert content == open(record.path, "rb").read()
        assert content.startswith(container.MAGIC)  # the encrypted package, nothing in clear
    assert Station.objects.get().last_seen_at is not None


def test_a_download_streams_in_bounded_chunks(client, chain, station, monkeypatch):
    monkeypatch.setattr(downloads, "CHUNK", 4096)
    download = client.get(package_url(chain[0].package_id), **bearer(station[1]))
    sizes = [len(chunk) for chunk in download.streaming_content]
    assert max(sizes) == 4096 and sum(sizes) == chain[0].size_bytes


def test_ranges_resume_a_download(client, chain, station):
    full = chain[0]
    token = station[1]
    data = open(full.path, "rb").read()
    size, etag = len(data), f'"{container.file_sha256(full.path)}"'

    rest = client.get(package_url(full.package_id), HTTP_RANGE="bytes=100000-", **bearer(token))
    assert rest.status_code == 206
    assert rest["Content-Range"] == f"bytes 100000-{size - 1}/{size}"
    assert int(rest["Content-Length"]) == size - 100000 and body(rest) == data[100000:]

    middle = client.get(package_url(full.package_id), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag, **bearer(token))
    assert (middle.status_code, middle["Content-Range"], body(middle)) == (206, f"bytes 10-19/{size}", data[10:20])
    tail = client.get(package_url(full.package_id), HTTP_RANGE="bytes=-64", **bearer(token))
    assert (tail.status_code, body(tail)) == (206, data[-64:])
    beyond_end = client.get(package_url(full.package_id), HTTP_RANGE=f"bytes={size - 5}-{size + 100}", **bearer(token))
    assert (beyond_end["Content-Range"], body(beyond_end)) == (f"bytes {size - 5}-{size - 1}/{size}", data[-5:])

    # A client holding the start of another file gets the whole file, not a part of this one.
    other = client.get(package_url(full.package_id), HTTP_RANGE="bytes=100000-", HTTP_IF_RANGE='"0000"',
                       **bearer(token))
    assert other.status_code == 200 and body(other) == data


@pytest.mark.parametrize("header, reason", [
    ("bytes={size}-", "超出文件的"), ("bytes=500-100", "超出文件的"), ("bytes=0-1,5-9", "不是单个字节范围"),
    ("items=0-", "不是单个字节范围"), ("bytes=-", "不是单个字节范围"), ("bytes=-0", "未请求任何字节")])
def test_a_bad_range_is_416_naming_it(client, chain, station, header, reason):
    full = chain[0]
    header = header.format(size=full.size_bytes)
    refused = client.get(package_url(full.package_id), HTTP_RANGE=header, **bearer(station[1]))
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{full.size_bytes}"
    assert header in refused.json()["detail"] and reason in refused.json()["detail"]


def test_without_a_valid_station_token_nothing_is_served(client, chain, station, make_user):
    target = package_url(chain[0].package_id)
    for headers in ({}, bearer("st_not-a-token"), bearer("nonsense")):
        for url in (LATEST, target):
            answer = client.get(url, **headers)
            assert answer.status_code == 401 and container.MAGIC not in answer.content
    revoked, token = registry.create(name="收费-02", department="门诊收费")
    assert client.get(target, **bearer(token)).status_code == 200
    registry.revoke(revoked, lifeline_clock.now())
    assert client.get(target, **bearer(token)).status_code == 401


def test_staff_read_the_listing_but_only_stations_download(client, chain, make_user):
    _t, commander = ApiToken.objects.issue(make_user("wangjun", Role.COMMANDER))
    assert client.get(LATEST, **bearer(commander)).json()["newest"] == chain[1].package_id
    refused = client.get(package_url(chain[0].package_id), **bearer(commander))
    assert refused.status_code == 403 and "只提供给持工作站令牌的应急工作站" in problems(refused)[""]
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.get(LATEST).status_code == 200
    assert client.get(package_url(chain[0].package_id)).status_code == 403
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    assert client.get(LATEST).status_code == 403


def test_a_pruned_package_is_gone_with_a_clear_message(client, small_his, snapshot_dir, settings, station):
    settings.SNAPSHOT_KEEP = 1
    old = builder.build(small_his.mapping_path)
    new = builder.build(small_his.mapping_path)
    gone = client.get(package_url(old.package_id), **bearer(station[1]))
    assert gone.status_code == 410
    assert problems(gone)["package_id"] == (f"包 {old.package_id} 已被清理：服务器只保留最近几条包链。"
                                     f"请重新获取最新包链（packages/latest）。")
    assert client.get(package_url(new.package_id), **bearer(station[1])).status_code == 200
    unknown = client.get(package_url("../../keys/x"), **bearer(station[1]))
    assert unknown.status_code == 404


def test_a_station_checks_in_with_what_it_holds(clock, client, chain, station):
    full, incremental = chain
    record, token = station
    audited = AuditEntry.objects.count()
    audited_head = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    answer = client.post("/api/v1/continuity/stations/holding", content_type="application/json", **bearer(token),
                         data={"package_ids": [full.package_id, incremental.package_id],
                               "applied": incremental.package_id, "client_version": "lifeline 0.1.0"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["current"] is True and answer.json()["stale"] is False
    record.refresh_from_db()
    assert (record.package_id, record.package_built_at, record.client_version) == (
        incremental.package_id, incremental.started_at, "lifeline 0.1.0")
    assert record.checked_in_at == clock.now() and answer.json()["checked_in_at"] is not None
    check_in = StationCheckIn.objects.get()
    assert check_in.package_ids == [full.package_id, incremental.package_id] and check_in.address == "127.0.0.1"
    assert list(record.check_ins.all()) == [check_in]
    # What the station holds changed: one audit entry, by the station; the times are not in it.
    entry = AuditEntry.objects.get(seq__gt=audited_head)
    assert (entry.action, entry.object_type, entry.actor_label) == ("update", "stations.station",
                                                                    f"station:{record.name}")
    assert set(entry.changes) == {"package_id", "package_built_at", "client_version"}
    assert entry.changes["package_id"][1] == incremental.package_id
    clock.advance(minutes=5)
    again = client.post("/api/v1/continuity/stations/holding", content_type="application/json", **bearer(token),
                        data={"package_ids": [full.package_id, incremental.package_id],
                              "applied": incremental.package_id, "client_version": "lifeline 0.1.0"})
    assert again.status_code == 200
    assert AuditEntry.objects.count() == audited + 1  # "still here, same data": not a change


@pytest.mark.parametrize("payload, field, message", [
    ({"package_ids": ["{full}", "20990101T000000Z-abcdef"], "applied": "{full}"}, "package_ids[1]",
     "本服务器未发布过包 20990101T000000Z-abcdef"),
    ({"package_ids": ["{full}"], "applied": "{inc}"}, "applied", "不在所持有的包中"),
])
def test_a_bad_check_in_names_the_field_and_changes_nothing(client, chain, station, payload, field, message):
    names = {"full": chain[0].package_id, "inc": chain[1].package_id}
    data = {"package_ids": [p.format(**names) for p in payload["package_ids"]],
            "applied": payload["applied"].format(**names)}
    answer = client.post("/api/v1/continuity/stations/holding", data=data, content_type="application/json",
                         **bearer(station[1]))
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == field and message in answer.json()["errors"][0]["message"]
    assert not StationCheckIn.objects.exists() and Station.objects.get().package_id == ""


def test_a_users_token_cannot_check_in_for_a_station(client, chain, make_user):
    _t, key = ApiToken.objects.issue(make_user("zhangwei", Role.DUTY))
    answer = client.post("/api/v1/continuity/stations/holding", data={"package_ids": []},
                         content_type="application/json", **bearer(key))
    assert answer.status_code == 401 and not StationCheckIn.objects.exists()


def test_readers_list_the_stations_with_the_age_of_their_data(clock, client, chain, station, make_user):
    registry.record_holding(station[0], package_ids=[chain[0].package_id], applied=chain[0].package_id,
                            now=clock.now())
    registry.create(name="药房-01", department="门诊药房")
    client.force_login(make_user("auditor", Role.AUDITOR))
    clock.advance(minutes=90)
    listed = {s["name"]: s for s in client.get("/api/v1/continuity/stations").json()}
    assert listed["挂号-01"]["data_age_seconds"] == 90 * 60 and listed["挂号-01"]["stale"] is True
    assert listed["挂号-01"]["current"] is False  # the incremental is newer
    assert listed["药房-01"]["package_id"] == "" and listed["药房-01"]["stale"] is True
