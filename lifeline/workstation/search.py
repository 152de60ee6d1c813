"""Finding a patient at the window among a million: by card no., resident ID no., phone, name
with birth date, or the name's pinyin initials (拼音首字母, "zs" for 张三).

Every way is an index lookup: `prepare` adds the indexes, and a table of each patient's
initials, to the base data before it is sealed (`basedata.seal`), and `refresh` keeps them
right when a pull applies incrementals onto the base data held (`basedata.extend`); cards
issued on this station (`new_patients`) are searched the same way, and are few.

Initials come from pypinyin, a character at a time (cached: a million names share a few
thousand characters). A surname's character is taken in every reading it has (单 gives d, s
and c; 曾 gives c and z), since a surname is often not read as the common word is; the other
characters in their most common reading.
"""
from functools import cache

from pypinyin import Style, pinyin

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused

WAYS = {"card_no": "就诊卡号", "id_card_no": "身份证号", "phone": "电话", "name_birth": "姓名+出生日期",
        "initials": "拼音首字母"}
LIMIT = 20
_COLUMNS = "card_no, name, sex, birth_date, id_card_no, phone, insurance_type, insurance_no"


@cache
def _letters(char: str, every_reading: bool) -> tuple[str, ...]:
    if char.isascii():
        return (char.lower(),) if char.isalnum() else ("",)
    readings = pinyin(char, style=Style.FIRST_LETTER, heteronym=every_reading, errors="ignore")
    letters = sorted({r[:1].lower() for r in readings[0]}) if readings else []
    return tuple(letters) or ("",)


def initials(name: str) -> set[str]:
    """The initials a clerk may type for this name (several when the surname reads several ways)."""
    name = name.strip()
    if not name:
        return set()
    rest = "".join(_letters(char, False)[0] for char in name[1:])
    return {first + rest for first in _letters(name[0], True)}


def prepare(db):
    """Indexes for every way of searching, and the initials table, in the base data `db` (plain,
    before it is sealed)."""
    db.execute("CREATE INDEX IF NOT EXISTS patient_id_card ON patient (id_card_no)")
    db.execute("CREATE INDEX IF NOT EXISTS patient_phone ON patient (phone)")
    db.execute("CREATE INDEX IF NOT EXISTS patient_name_birth ON patient (name, birth_date)")
    db.execute("CREATE TABLE IF NOT EXISTS patient_initials (initials TEXT NOT NULL, card_no TEXT NOT NULL, "
               "PRIMARY KEY (initials, card_no)) WITHOUT ROWID")
    _index_initials_by_card(db)
    _add_initials(db, "main.patient")
    db.commit()


def refresh(db, schema: str, whole: bool):
    """Keep what `prepare` built right after an incremental was applied to prepared base data
    (its database attached as `schema`), in the caller's transaction: the indexes follow the
    patient table by themselves; the initials of the patients it changed, added or deleted are
    taken again (all of them when it replaced the patients as a whole)."""
    if whole:
        db.execute("DELETE FROM main.patient_initials")
        _add_initials(db, "main.patient")
        return
    _index_initials_by_card(db)  # base data prepared before the index was
    db.execute(f"DELETE FROM main.patient_initials WHERE card_no IN (SELECT card_no FROM {schema}.patient "
               f"UNION ALL SELECT card_no FROM {schema}.patient__deleted)")
    _add_initials(db, f"{schema}.patient")


def _index_initials_by_card(db):
    """A patient's initials found by card no.: what `refresh` deletes when a patient changes."""
    db.execute("CREATE INDEX IF NOT EXISTS main.patient_initials_card ON patient_initials (card_no)")


def _add_initials(db, patients: str):
    cursor = db.execute(f"SELECT card_no, name FROM {patients}")
    while batch := cursor.fetchmany(10_000):
        db.executemany("INSERT OR IGNORE INTO main.patient_initials VALUES (?, ?)",
                       [(typed, card_no) for card_no, name in batch for typed in initials(name)])


def find(db, way: str, value: str, birth_date: str = "") -> list[dict]:
    """Up to LIMIT patients, from the base data (schema `base`) and this station's new cards."""
    value = str(value or "").strip()
    if way not in WAYS:
        raise StationRefused("way", _("%(value)s is not one of %(choices)s") % {"value": way,
                                                                               "choices": ", ".join(WAYS)})
    if not value:
        raise StationRefused(way, _("required, but empty"))
    if way == "name_birth" and not birth_date:
        raise StationRefused("birth_date", _("required, but empty"))
    where, params = _where(way, value, birth_date)
    source = "base.patient"
    if way == "initials":  # the initials' index first, then each patient by key, LIMIT of them only
        source = "base.patient_initials JOIN base.patient USING (card_no)"
    rows = db.execute(f"SELECT {_COLUMNS} FROM {source} WHERE {where} LIMIT {LIMIT}", params).fetchall()
    if len(rows) < LIMIT:
        local = _where_local(way, value, birth_date)
        rows += db.execute(f"SELECT {_COLUMNS} FROM new_patients WHERE {local[0]} LIMIT {LIMIT - len(rows)}",
                           local[1]).fetchall()
    return [dict(zip(_COLUMNS.split(", "), row, strict=True)) for row in rows]


def _where(way: str, value: str, birth_date: str) -> tuple[str, tuple]:
    if way == "name_birth":
        return "name = ? AND birth_date = ?", (value, birth_date)
    if way == "initials":
        return "initials = ?", (value.lower(),)
    return f"{way} = ?", (value.upper() if way == "id_card_no" else value,)


def _where_local(way: str, value: str, birth_date: str) -> tuple[str, tuple]:
    if way == "initials":  # few rows: the initials are computed as they are read
        return "lifeline_initials(name, ?)", (value.lower(),)
    return _where(way, value, birth_date)


def register_functions(db):
    """SQL functions the station's own rows are searched with."""
    db.create_function("lifeline_initials", 2, lambda name, typed: typed in initials(name or ""),
                       deterministic=True)
