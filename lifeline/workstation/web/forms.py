"""Form state for the desk pages: each field's value as typed and its refusal beside it.

The desk services check everything and raise StationRefused naming the field
(`lifeline.workstation.errors`); a page keeps what was typed and shows the message next to
that field, or above the form when the field is not one of its inputs (the operator, the
station's mode, a used-up number range).
"""
from lifeline.workstation.errors import StationRefused

ABOVE = "__all__"


class Form:
    """`form.card_no.value`, `form.card_no.error` in templates; `form.lines` the line rows."""

    def __init__(self, data, names, lines=0, line_names=()):
        self.fields = {name: {"name": name, "value": str(data.get(name, "")).strip(), "error": ""}
                       for name in names}
        self.lines = [{n: self._line_field(data, i, n) for n in line_names} for i in range(lines)]
        self.errors_above: list[str] = []

    def _line_field(self, data, i, name):
        field = {"name": f"lines.{i}.{name}", "value": str(data.get(f"lines.{i}.{name}", "")).strip(), "error": ""}
        self.fields[field["name"]] = field
        return field

    def __getitem__(self, name):
        return self.fields[name]

    def value(self, name) -> str:
        return self.fields[name]["value"]

    def refuse(self, refusal: StationRefused, aliases: dict | None = None):
        name = (aliases or {}).get(refusal.field, refusal.field)
        if name in self.fields:
            self.fields[name]["error"] = refusal.message
        else:
            self.errors_above.append(refusal.message)

    def filled_lines(self, key: str) -> list[tuple[int, dict]]:
        return [(i, line) for i, line in enumerate(self.lines) if line[key]["value"]]
