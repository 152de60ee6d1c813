"""The demo's snapshots: a small demo HIS on SQLite and one full and one incremental package,
so a newcomer sees snapshot packages without installing anything (`make run`)."""
from pathlib import Path

from lifeline.his import demo_his
from lifeline.snapshots import builder, storage

PATIENTS = 2000


def load_demo(data_dir: Path) -> dict:
    """(Re)create <data dir>/demo_his.sqlite3 and its mapping demo_his.yaml (the worker's
    LIFELINE_SNAPSHOT_MAPPING under `make run`), a key if there is none, then build a full
    package, change 1 % of the HIS and build an incremental one."""
    database = data_dir / "demo_his.sqlite3"
    url = f"sqlite:///{database}"
    mapping = data_dir / "demo_his.yaml"
    demo_his.build(url, PATIENTS, seed=1)
    mapping.write_text(demo_his.mapping_text(url), encoding="utf-8")
    store = storage.keystore()
    if not store.keys():
        store.create()
    full = builder.build(mapping, trigger="demo")
    demo_his.churn(url, percent=1, seed=1)
    incremental = builder.build(mapping, incremental=True, trigger="demo")
    return {"his_database": database, "mapping": mapping, "full": full, "incremental": incremental}
