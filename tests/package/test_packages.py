"""The package file: it cannot be read without its key, and any change to it, a cut or an
appendix fails verification. (The format does not depend on the HIS's database, so these
tests build their package from the SQLite demo HIS only.)"""
import json
import sqlite3
from pathlib import Path

import pytest

from lifeline.package import applying, container, tables, writing
from lifeline.package.keys import Key, KeyStore, KeyStoreError
from lifeline.package.tables import PackageInvalid
from lifeline.snapshots import builder, storage
from tests.his.conftest import build_demo

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

SMALL_FRAMES = 4096


@pytest.fixture(scope="module")
def his(tmp_path_factory):
    return build_demo(f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db", tmp_path_factory, 300)


@pytest.fixture
def package(his, snapshot_dir, db):
    return Path(builder.build(his.mapping_path).path)


@pytest.fixture
def small_frames(package, tmp_path):
    """The same package re-sealed in 4 KiB frames, so it has many."""
    plain, out = tmp_path / "plain.sqlite3", tmp_path / "small.llsnap"
    manifest = container.unseal(package, plain, storage.keystore()).manifest
    container.write(plain, out, manifest, storage.keystore().current(), frame_size=SMALL_FRAMES)
    plain.unlink()
    return out


def frame_starts(path) -> list[int]:
    """Offsets where each frame begins."""
    package = container.open_package(path)
    data = path.read_bytes()
    starts, at = [], package.frames_at
    while True:
        starts.append(at)
        final, length = data[at], int.from_bytes(data[at + 1:at + 5])
        at += 5 + 12 + length
        if final:
            return starts


def flipped(path, offset, tmp_path):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    out = tmp_path / f"flipped-{offset}.llsnap"
    out.write_bytes(bytes(data))
    return out


def test_a_good_package_verifies_and_says_what_it_holds(package, his):
    checked = container.verify(package, storage.keystore(), storage.work_root())
    assert checked.kind == "full" and checked.manifest["entities"]["patient"]["rows"] == 300
    assert checked.manifest["his"] == his.mapping.his and checked.manifest["parent"] is None


def test_the_file_holds_no_plaintext(package, his):
    data = package.read_bytes()
    for value in ("0000000001", "阿莫西林胶囊", "SQLite format 3"):
        assert value.encode() not in data
    assert b'"card_no"' not in data  # the manifest names entities and counts, never columns or values


def test_it_cannot_be_read_without_its_key(package, tmp_path, settings):
    key = storage.keystore().current()
    settings.DATA_DIR = tmp_path / "elsewhere"  # a key store that never had the key
    storage.keystore().create()
    with pytest.raises(KeyStoreError, match=f"key {key.id} is not in the key store"):
        container.verify(package, storage.keystore(), storage.work_root())
    impostor = Key(key.id, key.created, Key.generate(key.created).secret, key.public)
    storage.keystore().add(impostor)  # same id, other secret
    with pytest.raises(PackageInvalid, match=f"wrong key: the key {key.id} .* is not the key this package"):
        container.verify(package, storage.keystore(), storage.work_root())
    with pytest.raises(PackageInvalid, match="wrong key"):
        applying.apply([package], tmp_path / "station.sqlite3", storage.keystore())
    assert not (tmp_path / "station.sqlite3").exists()


def test_a_station_copy_of_the_key_reads_and_verifies(package, tmp_path, settings):
    key = storage.keystore().current()
    station = KeyStore(directory=tmp_path / "station-keys")
    station.add(key.public_only())
    assert container.verify(package, station, storage.work_root()).id == container.open_package(package).id


def test_after_a_key_rotation_old_and_new_packages_verify_and_apply_as_one_chain(package, his, tmp_path):
    old_key = storage.keystore().current()
    new_key = storage.keystore().create()
    incremental = Path(builder.build(his.mapping_path, incremental=True).path)
    assert container.open_package(package).manifest["key_id"] == old_key.id
    assert container.open_package(incremental).manifest["key_id"] == new_key.id
    kinds = [container.verify(p, storage.keystore(), storage.work_root()).kind for p in (package, incremental)]
    assert kinds == ["full", "incremental"]
    applied = applying.apply([package, incremental], tmp_path / "station.sqlite3", storage.keystore())
    assert applied["package_id"] == incremental.stem


def test_flipping_any_one_byte_fails_verification(small_frames, tmp_path):
    size = small_frames.stat().st_size
    starts = frame_starts(small_frames)
    assert len(starts) > 10
    structure = {0, 7, 8, 11, 12, starts[0] - 1, size - 1, size - 64}
    for start in (starts[0], starts[1], starts[-1]):
        structure |= {start, start + 1, start + 4, start + 5, start + 17, start + 40}  # flag, length, nonce, data
    everywhere = set(range(0, size, size // 200))
    for offset in sorted(structure | everywhere):
        with pytest.raises(PackageInvalid):
            container.verify(flipped(small_frames, offset, tmp_path), storage.keystore(), storage.work_root())
        (tmp_path / f"flipped-{offset}.llsnap").unlink()


def test_a_truncated_or_appended_file_fails(small_frames, tmp_path):
    data = small_frames.read_bytes()
    starts = frame_starts(small_frames)
    cuts = {"inside the header": starts[0] - 10, "before the last frame": starts[-1],
            "inside a frame": starts[3] + 100, "before the signature": len(data) - 64, "one byte short": len(data) - 1}
    for _where, size in cuts.items():
        cut = tmp_path / "cut.llsnap"
        cut.write_bytes(data[:size])
        with pytest.raises(PackageInvalid, match="truncated"):
            container.verify(cut, storage.keystore(), storage.work_root())
    longer = tmp_path / "longer.llsnap"
    longer.write_bytes(data + b"\0")
    with pytest.raises(PackageInvalid, match="bytes after its signature"):
        container.verify(longer, storage.keystore(), storage.work_root())


def test_frames_cannot_be_reordered_or_cut_even_with_a_valid_signature(small_frames, tmp_path):
    """Below the signature, each frame's tag binds its index and the final flag."""
    package = container.open_package(small_frames)
    key = storage.keystore().current()
    data = small_frames.read_bytes()
    starts = frame_starts(small_frames)
    swapped = data[:starts[1]] + data[starts[2]:starts[3]] + data[starts[1]:starts[2]] + data[starts[3]:]
    (tmp_path / "swapped.llsnap").write_bytes(swapped)
    with pytest.raises(PackageInvalid, match="frame 1 does not decrypt"):
        container.decrypt(container.open_package(tmp_path / "swapped.llsnap"), key, tmp_path / "out1")
    early_end = bytearray(data[:starts[2]])
    early_end[starts[1]] = 1  # frame 1 claims to be the last
    (tmp_path / "early.llsnap").write_bytes(bytes(early_end))
    with pytest.raises(PackageInvalid, match="frame 1 does not decrypt"):
        container.decrypt(container.open_package(tmp_path / "early.llsnap"), key, tmp_path / "out2")
    assert package.frame_size == SMALL_FRAMES


def test_a_changed_manifest_fails_even_when_well_formed(package, tmp_path):
    data = package.read_bytes()
    length = int.from_bytes(data[8:12])
    header = json.loads(data[12:12 + length])
    header["manifest"]["entities"]["patient"]["rows"] += 1
    text = json.dumps(header, sort_keys=True, ensure_ascii=False).encode()
    forged = tmp_path / "forged.llsnap"
    forged.write_bytes(data[:8] + len(text).to_bytes(4) + text + data[12 + length:])
    with pytest.raises(PackageInvalid, match="the signature does not match"):
        container.verify(forged, storage.keystore(), storage.work_root())


def test_rows_that_do_not_match_their_hash_or_the_manifest_fail(package, tmp_path):
    """A builder bug (rows, their hashes and the manifest disagreeing) is caught even though the
    signature is good."""
    key = storage.keystore().current()
    for n, (change, message) in enumerate({
        "UPDATE drug SET price = '0.01' WHERE code = 'Y000001'":
            "^drug Y000001: the row's values do not give the hash stored with it$",
        "DELETE FROM drug WHERE code = 'Y000001'":
            r"^drug: 113 rows with checksum \w+, but the manifest says 114 rows",
    }.items()):
        plain, out = tmp_path / f"plain{n}.sqlite3", tmp_path / f"resealed{n}.llsnap"
        manifest = container.unseal(package, plain, storage.keystore()).manifest
        db = sqlite3.connect(plain)
        db.execute(change)
        db.commit()
        db.close()
        container.write(plain, out, manifest, key)
        with pytest.raises(PackageInvalid, match=message):
            container.verify(out, storage.keystore(), storage.work_root())


def test_reading_leaves_no_plaintext_behind(package):
    container.verify(package, storage.keystore(), storage.work_root())
    assert list(storage.work_root().iterdir()) == []


def test_row_hashes_of_columns_are_row_hash_of_each_row():
    import datetime
    from decimal import Decimal
    sample = [("a", None, 1, "2024-01-02", "", 0), ("b\u4e2d", "x", None, None, "y", -5),
              ("c", "\U00020000", 2**62, "1", None, True),
              ("d", None, 0, Decimal("1.50"), datetime.date(2020, 1, 1), 7)]
    assert tables.row_hashes([list(c) for c in zip(*sample)]) == [tables.row_hash(r) for r in sample]
    assert tables.row_hashes([["only"], [None]]) == [tables.row_hash(("only", None))]
    assert tables.row_hashes([[], []]) == []


def test_stored_columns_are_stored_rows_column_by_column():
    import datetime
    from decimal import Decimal
    table = tables.TABLES["clinic_schedule"]
    fields = table.entity.fields
    sample = {"text": "T1", "code": "AM", "integer": 3, "decimal": Decimal("12.50"), "boolean": True,
              "date": datetime.date(2024, 5, 6), "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9)}
    given = [tuple(sample[f.type] for f in fields), tuple(None if not f.required else sample[f.type] for f in fields)]
    assert [tuple(r) for r in zip(*table.stored_columns([list(c) for c in zip(*given)]))] == table.stored(given)


def test_the_database_writer_stores_the_rows_and_their_hashes_as_given(tmp_path):
    """Batches travel to the writer's process as text (or pickled, when a value holds the
    separators or a number does not fit SQLite's): what it stores is the rows as given."""
    import datetime
    from decimal import Decimal
    table = tables.TABLES["clinic_schedule"]
    sample = {"text": "T", "code": "AM", "integer": 3, "decimal": Decimal("12.50"), "boolean": True,
              "date": datetime.date(2024, 5, 6), "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9)}

    def row(i, **values):
        return tuple(values.get(f.name, f"{sample[f.type]}{i}" if f.type == "text" else sample[f.type])
                     for f in table.entity.fields)

    optional = next(f.name for f in table.entity.fields if not f.required)
    batches = [[row(i, quota=i) for i in range(700)] + [row(700, **{optional: None}), row(701, quota=-(1 << 63))],
               [row(800, schedule_id="S\x1f800"), row(801, schedule_id="S\x1e801", quota=(1 << 63) - 1)]]
    writer = writing.DatabaseWriter(tmp_path / "p.sqlite3", tmp_path / "i.sqlite3")
    expected = []
    try:
        for batch in batches:
            columns = table.stored_columns([list(c) for c in zip(*batch)])
            texts = tables.value_texts(columns)
            hashes, digests = tables.hashes_of(tables.row_texts(texts))
            writer.rows(table, columns, texts, digests, hashes)
            expected += [values + (hashed,) for values, hashed in zip(zip(*columns), hashes)]
        writer.take_index(table)
        writer.finish()
    finally:
        writer.close()
    db = sqlite3.connect(tmp_path / "p.sqlite3")
    assert sorted(db.execute(table.select_sql(with_hash=True)).fetchall()) == sorted(expected)
    assert tables.table_digest(db, table).count == len(expected)  # every stored row gives its hash
    db.execute("ATTACH ? AS idx", (str(tmp_path / "i.sqlite3"),))
    assert db.execute(f'SELECT count(*) FROM idx."{table.name}"').fetchone()[0] == len(expected)
    db.close()


def test_the_database_writer_names_a_key_given_twice(tmp_path):
    table = tables.TABLES["department"]
    columns = [["D1", "D2", "D1"], ["a", "b", "c"], ["clinical"] * 3, [1, 0, 1], [None, "x", None]]
    texts = tables.value_texts(columns)
    hashes, digests = tables.hashes_of(tables.row_texts(texts))
    writer = writing.DatabaseWriter(tmp_path / "p.sqlite3", tmp_path / "i.sqlite3")
    try:
        writer.rows(table, columns, texts, digests, hashes)
        with pytest.raises(writing.RowsRejected, match="^department D1: the HIS query yields this key more than once"):
            writer.finish()
    finally:
        writer.close()
