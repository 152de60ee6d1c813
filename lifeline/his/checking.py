"""Checking HIS rows against the canonical model a batch at a time, fast.

`Entity.clean` checks one value at a time, a few microseconds each: for a million patients
that alone is most of a snapshot build. A `BatchChecker` checks a batch column by column
with C-level built-ins (a set of the column's types, min and max, set inclusion, compiled
patterns), which is exact for the values a driver already returns in the field's Python type.
A column that needs converting (dates as text on SQLite, floats, numbers as text) goes
value by value through `Field.clean`; a batch holding a bad value goes row by row through
`Entity.clean`, so every problem is worded exactly as there (entity, row key, field, reason).

Fields the mapping lets empty (`on_invalid: null`, optional fields only) are `nullable`: a bad
value there is emptied and its problem kept in `nulled` (outcome NULLED), the row kept; such a
column is checked value by value only when it holds a bad value, the rest of the batch still a
column at a time.
"""
import datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from lifeline.his.canonical import COLUMN_CHECKS, NULLED, Entity, Field, InvalidRow, InvalidValue, RowProblem

_NONE = type(None)
_PYTHON_TYPE = {"integer": int, "decimal": Decimal, "date": datetime.date, "datetime": datetime.datetime,
                "boolean": bool}


class BatchChecker:
    """Turns batches of driver rows (sequences; `names` are their lower-case column names)
    into canonical tuples in the entity's field order."""

    def __init__(self, entity: Entity, names: list[str], nullable=frozenset()):
        self.entity = entity
        self.nullable = frozenset(nullable)
        self.positions = [names.index(f.name) for f in entity.fields]
        self.columns = [(f, itemgetter(p), _fast_column(f)) for f, p in zip(entity.fields, self.positions)]
        self.key_positions = [entity.columns.index(k) for k in entity.key]
        self.nulled: list[RowProblem] = []  # values emptied in the last batch checked

    def __call__(self, batch) -> tuple[list, list[InvalidRow]]:
        """(rows, problems): one canonical tuple per row of the batch, None for a bad row, whose
        InvalidRow is in problems (in batch order); values emptied are in `nulled`."""
        clean = self.clean_columns(batch)
        if clean is None:
            return self.row_by_row(batch)
        return list(zip(*clean)), []

    def clean_columns(self, batch) -> list[list] | None:
        """The batch's canonical values column by column (lists in the entity's field order), or
        None when some row is bad (then `row_by_row` words its problems)."""
        clean, emptied = [], []
        for field, value_of, fast in self.columns:
            column = list(map(value_of, batch))  # zip(*batch) costs more: an iterator per row
            values = fast(column)
            if values is None:
                try:
                    values = list(map(field.clean, column))
                except InvalidValue:
                    if field.name not in self.nullable:
                        return None
                    values = _emptying(field, column, emptied)
            clean.append(values)
        self.nulled = [RowProblem(self.entity.name, "/".join(str(clean[k][i]) for k in self.key_positions),
                                  name, reason, NULLED) for i, name, reason in emptied]
        return clean

    def row_by_row(self, batch) -> tuple[list, list[InvalidRow]]:
        """As __call__, each row through Entity.clean_row."""
        rows, problems, self.nulled = [], [], []
        names = self.entity.columns
        for values in batch:
            try:
                row, nulled = self.entity.clean_row({name: values[p] for name, p in zip(names, self.positions)},
                                                    self.nullable)
            except InvalidRow as exc:
                problems.append(exc)
                rows.append(None)
            else:
                rows.append(tuple(row.values()))
                self.nulled += nulled
        return rows, problems


def _emptying(field: Field, column: list, emptied: list) -> list:
    """The column's clean values, a bad value emptied (None) and noted in `emptied` as (row, field, reason)."""
    values = []
    for i, value in enumerate(column):
        try:
            values.append(field.clean(value))
        except InvalidValue as exc:
            values.append(None)
            emptied.append((i, field.name, str(exc)))
    return values


def _fast_column(field: Field):
    """A function taking one column of a batch and giving its clean values, or None when some
    value needs converting or normalising, or may break the field's rule (then Field.clean
    decides value by value)."""
    if field.type in ("text", "code"):
        return _text_column(field)
    kind = _PYTHON_TYPE[field.type]
    allowed = {kind} if field.required else {kind, _NONE}
    non_negative = field.type == "decimal"

    def column(values):
        types = set(map(type, values))
        if not types <= allowed:
            return None
        if non_negative and not _non_negative_finite(values if _NONE not in types else
                                                     [v for v in values if v is not None]):
            return None
        return values

    return column


def _non_negative_finite(numbers) -> bool:
    if not numbers:
        return True
    try:  # NaN in an ordering comparison raises InvalidOperation
        return min(numbers) >= 0 and max(numbers).is_finite()
    except InvalidOperation:
        return False


def _text_column(field: Field):
    choices = frozenset(field.choices) if field.choices is not None else None
    check = COLUMN_CHECKS.get(field.check) if field.check else None
    if field.check and check is None:
        return lambda values: None
    if choices is not None and field.required and not field.check and all(
            code and code == code.strip() and len(code) <= (field.max_length or len(code)) for code in choices):
        # every code is clean text within the length: being a code is the whole check
        return lambda values: values if choices.issuperset(values) else None

    def column(values):
        present = values if field.required else list(filter(None, values))  # without None and ""
        try:
            joined = "\n".join(present)
        except TypeError:  # not all text
            return None
        if "" in values:  # blank: a problem when required, else absent
            if field.required:
                return None
            values = [v or None for v in values]
        if "\n".join(map(str.strip, present)) != joined:  # some value has space at an end
            return None
        if field.max_length and max(map(len, present), default=0) > field.max_length:
            return None
        if choices is not None and not choices.issuperset(present):
            return None
        if check and present and not check(present, joined):
            return None
        return values

    return column
