"""The plan linter: every problem of a plan file, each with its file, line, field and reason.

Two kinds of problem are reported together, so one run shows all of them: the schema's
(types, required fields, unknown keys, from `schema.Plan`) and the plan's meaning
(references to roles, levels, scenarios, cards, notices and steps that do not exist,
duplicate ids, steps without owner, timers without action, overlapping level criteria,
decision-tree branches nobody can reach, steps that wait for each other in a cycle, a vendor
role leading a level or the command group).

The meaning checks read the raw data rather than a validated plan, so they still run
when the schema found something, and skip whatever the schema already reported.
Reading the file, the schema's problems and their lines come from lifeline.core.yamllint,
which the HIS mapping linter shares.
"""
import typing

from pydantic import ValidationError

from lifeline.core.yamllint import Linter, did_you_mean, parse, read_text
from lifeline.core.yamlsource import Path, Problem, value_at
from lifeline.plans import schema


def check_file(path) -> list[Problem]:
    text, problems = read_text(path)
    return problems if text is None else check_text(text, str(path))


def check_text(text: str, filename: str = "<text>") -> list[Problem]:
    source, problems = parse(text, filename)
    if source is None:
        return problems
    linter = _Linter(filename, source)
    linter.check_duplicate_keys()
    linter.validate(schema.Plan)
    linter.check_meaning()
    return linter.sorted_problems()


def _ranges_overlap(a: schema.Percent, b: schema.Percent) -> bool:
    a_low, a_low_in, a_high, a_high_in = a.bounds()
    b_low, b_low_in, b_high, b_high_in = b.bounds()
    # On equal values the excluding bound is the tighter one, hence the tuple order.
    low, low_excluded = max((a_low, not a_low_in), (b_low, not b_low_in))
    high, high_included = min((a_high, a_high_in), (b_high, b_high_in))
    return low < high or (low == high and not low_excluded and high_included)


def _fields_at(loc) -> list[str]:
    """The field names of the schema model at `loc` (("levels", 0, "criteria")); [] if unclear."""
    model = schema.Plan
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = _model_of(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_of(annotation):
    if isinstance(annotation, type) and issubclass(annotation, schema.BaseModel):
        return annotation
    return next((m for m in map(_model_of, typing.get_args(annotation)) if m is not None), None)


class _Linter(Linter):
    document = "plan"

    def schema_reason(self, error: dict) -> str:
        if error["type"] == "string_pattern_mismatch":  # the only pattern is the one of ids
            return f"{error['input']!r} is not an id: use letters, digits, _ . or -, starting with a letter or digit"
        if error["type"] == "model_type" and not error["loc"]:
            return "a plan file must be a YAML mapping (id: …, name: …, scenarios: …)"
        if error["type"] == "extra_forbidden":
            known = _fields_at(error["loc"][:-1])
            hint = did_you_mean(str(error["loc"][-1]), known) if known else ""
            return super().schema_reason(error) + hint + (" (docs/plans.md lists every field)" if not hint else "")
        return super().schema_reason(error)

    # -- the plan's meaning --------------------------------------------------------------

    def items(self, path: Path) -> list[tuple[Path, dict]]:
        """(path, mapping) of each entry of the list at `path`."""
        value = value_at(self.data, path)
        if not isinstance(value, list):
            return []
        return [(path + (i,), item) for i, item in enumerate(value) if isinstance(item, dict)]

    def unique_ids(self, *lists: Path, what: str) -> dict[str, Path]:
        """The ids of the entries of some lists, which share one namespace; reports duplicates."""
        seen: dict[str, Path] = {}
        for list_path in lists:
            for path, item in self.items(list_path):
                ident = item.get("id")
                if not isinstance(ident, str):
                    continue
                if ident in seen:
                    first = self.source.line_of(seen[ident] + ("id",))
                    self.report(path + ("id",), f"duplicate {what} id {ident!r} (first at line {first})")
                else:
                    seen[ident] = path
        return seen

    def refer(self, path: Path, value, known, what: str):
        if value and isinstance(value, str) and value not in known:
            self.report(path, f"unknown {what} {value!r}{did_you_mean(value, known)}")

    def refer_all(self, path: Path, values, known, what: str):
        if isinstance(values, list):
            for i, value in enumerate(values):
                self.refer(path + (i,), value, known, what)

    def check_meaning(self):
        actors = self.unique_ids(("groups",), ("roles",), what="role/group")
        groups = {ident for ident, path in actors.items() if path[0] == "groups"}
        levels = self.unique_ids(("levels",), what="level")
        scenarios = self.unique_ids(("scenarios",), what="scenario")
        cards = self.unique_ids(("duty_cards",), what="duty card")
        notices = self.unique_ids(("notices",), what="notice")
        self.unique_ids(("problem_categories",), what="problem category")
        self.unique_ids(("preparedness",), what="measure")

        for path, group in self.items(("groups",)):
            self.refer(path + ("lead",), group.get("lead"), actors, "role")
            self.refer(path + ("parent",), group.get("parent"), groups, "group")
        for path, role in self.items(("roles",)):
            self.refer(path + ("group",), role.get("group"), groups, "group")
        for path, level in self.items(("levels",)):
            self.refer(path + ("lead",), level.get("lead"), actors, "role")
            self.refer_all(path + ("notify",), level.get("notify"), actors, "role or group")
        self.check_vendors()
        for path, category in self.items(("problem_categories",)):
            self.refer(path + ("level",), category.get("level"), levels, "level")
        for path, measure in self.items(("preparedness",)):
            self.refer(path + ("owner",), measure.get("owner"), actors, "role")
        self.check_level_overlaps()

        known = {"actors": actors, "levels": levels, "scenarios": scenarios, "cards": cards, "notices": notices}
        for path, scenario in self.items(("scenarios",)):
            self.check_scenario(path, scenario, known)

    def check_vendors(self):
        """A vendor role (an outside unit, `vendor: true`) never leads a level or the command
        group: the hospital commands, the vendor commits repair times and is told when they pass."""
        vendors = {role.get("id") for _path, role in self.items(("roles",)) if role.get("vendor") is True}
        leads = [(path, level.get("lead"), f"level {level.get('id')!r}") for path, level in self.items(("levels",))]
        leads += [(path, group.get("lead"), f"command group {group.get('id')!r}")
                  for path, group in self.items(("groups",)) if group.get("kind") == "command"]
        for path, lead, what in leads:
            if isinstance(lead, str) and lead in vendors:
                self.report(path + ("lead",), f"role {lead!r} is a vendor (vendor: true) and may not lead {what}: "
                                              "make a hospital role the lead and name the vendor in notify")

    def check_scenario(self, path: Path, scenario: dict, known: dict):
        self.refer(path + ("level",), scenario.get("level"), known["levels"], "level")
        self.refer_all(path + ("duty_cards",), scenario.get("duty_cards"), known["cards"], "duty card")
        self.refer_all(path + ("notices",), scenario.get("notices"), known["notices"], "notice")
        self.check_steps(path, known)
        self.check_timers(path, known)
        if isinstance(scenario.get("decision_tree"), dict):
            self.check_tree(path + ("decision_tree",), known)

    def check_steps(self, scenario_path: Path, known: dict):
        steps = self.unique_ids(scenario_path + ("steps",), what="step")
        for path, step in self.items(scenario_path + ("steps",)):
            if not step.get("owner"):
                self.report(path + ("owner",), f"step {step.get('id')!r} has no owner")
            self.refer(path + ("owner",), step.get("owner"), known["actors"], "role")
            self.refer_all(path + ("after",), step.get("after"), steps, "step")
            self.refer(path + ("switch_to",), step.get("switch_to"), known["scenarios"], "scenario")
        self.check_step_cycles(scenario_path + ("steps",))

    def check_step_cycles(self, steps_path: Path):
        """Steps wait for `after`, or for the previous step; report each cycle once."""
        waits_for: dict[str, list[str]] = {}
        paths: dict[str, Path] = {}
        previous = None
        for path, step in self.items(steps_path):
            ident = step.get("id")
            if not isinstance(ident, str) or ident in waits_for:
                continue
            after = step.get("after")
            waits_for[ident] = [a for a in after if isinstance(a, str)] if isinstance(after, list) else (
                [previous] if previous else [])
            paths[ident] = path
            previous = ident
        done: set[str] = set()
        for start in waits_for:
            trail: list[str] = []
            self._walk(start, waits_for, trail, done, paths)

    def _walk(self, ident, waits_for, trail, done, paths):
        if ident in done or ident not in waits_for:
            return
        if ident in trail:
            cycle = trail[trail.index(ident):] + [ident]
            self.report(paths[cycle[0]] + ("after",), "steps wait for each other in a cycle: " + " → ".join(cycle))
            return
        trail.append(ident)
        for before in waits_for[ident]:
            self._walk(before, waits_for, trail, done, paths)
        trail.pop()
        done.add(ident)

    def check_timers(self, scenario_path: Path, known: dict):
        self.unique_ids(scenario_path + ("timers",), what="timer")
        for path, timer in self.items(scenario_path + ("timers",)):
            action = timer.get("action")
            if not action:
                self.report(path + ("action",), f"timer {timer.get('id')!r} has no action")
            if not isinstance(action, dict):
                continue
            path += ("action",)
            self.refer_all(path + ("roles",), action.get("roles"), known["actors"], "role or group")
            self.refer_all(path + ("cards",), action.get("cards"), known["cards"], "duty card")
            self.refer(path + ("notice",), action.get("notice"), known["notices"], "notice")
            self.refer(path + ("level",), action.get("level"), known["levels"], "level")
            self.refer(path + ("scenario",), action.get("scenario"), known["scenarios"], "scenario")

    def check_tree(self, tree_path: Path, known: dict):
        nodes = self.unique_ids(tree_path + ("nodes",), what="node")
        leads_to: dict[str, list[str]] = {}
        for path, node in self.items(tree_path + ("nodes",)):
            self.refer(path + ("owner",), node.get("owner"), known["actors"], "role")
            for answer_path, answer in self.items(path + ("answers",)):
                self.refer(answer_path + ("next",), answer.get("next"), nodes, "node")
                leads_to.setdefault(node.get("id"), []).append(answer.get("next"))
        start = value_at(self.data, tree_path + ("start",))
        self.refer(tree_path + ("start",), start, nodes, "node")
        if start not in nodes:
            return  # without a start every node would look unreachable
        reached, queue = {start}, [start]
        while queue:
            for following in leads_to.get(queue.pop(), []):
                if following in nodes and following not in reached:
                    reached.add(following)
                    queue.append(following)
        for ident, path in nodes.items():
            if ident not in reached:
                self.report(path + ("id",), f"node {ident!r} cannot be reached from start {start!r}")

    def check_level_overlaps(self):
        """Two levels overlap when one incident could match both criteria.

        Only levels that state a scope or a share of users are compared: a level graded by
        words alone cannot be told apart by rule, and the people on duty decide. An empty
        scope, share or service list means "any"; levels for different services differ.
        """
        stated = []
        for path, level in self.items(("levels",)):
            criteria = level.get("criteria")
            if not isinstance(criteria, dict) or not (criteria.get("scope") or criteria.get("users_pct")):
                continue
            try:
                share = schema.Percent.model_validate(criteria["users_pct"]) if criteria.get("users_pct") else None
                scope = set(criteria.get("scope") or [])
                services = set(criteria.get("services") or [])
            except (ValidationError, TypeError):
                continue  # the schema reports it
            stated.append((path, level.get("id"), scope, share, services))
        for i, (path, ident, scope, share, services) in enumerate(stated):
            for _path, other, other_scope, other_share, other_services in stated[:i]:
                if scope and other_scope and not scope & other_scope:
                    continue
                if services and other_services and not services & other_services:
                    continue
                if share and other_share and not _ranges_overlap(share, other_share):
                    continue
                self.report(path + ("criteria",),
                            f"criteria of level {ident!r} overlap level {other!r}: one incident could be at both")
