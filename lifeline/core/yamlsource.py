"""A YAML file as written: its data, and the line every value came from.

Linters (plans, HIS mappings) report problems by line, so the YAML is composed into nodes
(which keep their marks) before it is turned into plain data.
"""
from dataclasses import asdict, dataclass

import yaml

Path = tuple[str | int, ...]  # ("scenarios", 2, "steps", 0, "owner")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a YAML file (a plan, a HIS mapping), where it is and why."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"

    def as_dict(self) -> dict:
        return asdict(self)


class SyntaxProblem(Exception):
    """The text is not YAML; `line` is 1-based."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Source:
    data: object
    root: yaml.Node | None

    @classmethod
    def parse(cls, text: str) -> "Source":
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            reason = exc.problem or exc.context or "not YAML"
            if exc.context and exc.context_mark and exc.problem:
                reason += f" ({exc.context} at line {exc.context_mark.line + 1})"
            raise SyntaxProblem(mark.line + 1 if mark else 1, reason) from exc
        except yaml.YAMLError as exc:
            raise SyntaxProblem(1, str(exc)) from exc
        finally:
            loader.dispose()
        return cls(data, root)

    def line_of(self, path: Path) -> int:
        """Line of the value at `path`; for a key that is missing, the line of its mapping."""
        if self.root is None:
            return 1
        node = self.root
        line = node.start_mark.line
        for part in path:
            found = _child(node, part, with_key=True)
            if found is None:
                break
            key, node = found
            line = (key or node).start_mark.line
        return line + 1

    def duplicate_keys(self) -> list[tuple[Path, int, int]]:
        """Keys given twice in one mapping (YAML keeps the last silently): (path, line, first line)."""
        found = []
        stack = [((), self.root)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                seen = {}
                for key, value in node.value:
                    if key.value in seen:
                        found.append((path + (key.value,), key.start_mark.line + 1, seen[key.value]))
                    seen.setdefault(key.value, key.start_mark.line + 1)
                    stack.append((path + (key.value,), value))
            elif isinstance(node, yaml.SequenceNode):
                stack += [(path + (i,), item) for i, item in enumerate(node.value)]
        return sorted(found, key=lambda item: item[1])


def dotted(path: Path) -> str:
    """("scenarios", 2, "steps", 0, "owner") -> "scenarios[2].steps[0].owner"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def value_at(data, path: Path):
    """The value at `path` in plain data, or None."""
    for part in path:
        if isinstance(part, str) and isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def path_of_error(data, loc: tuple) -> Path:
    """The part of a pydantic error location that is a path in the file (a missing key included)."""
    path = ()
    for part in loc:
        node = value_at(data, path)
        if isinstance(part, int) and isinstance(node, list) or isinstance(part, str) and isinstance(node, dict):
            path += (part,)
        else:
            break  # a pydantic union tag or validator name, not a key of the file
    return path


def _child(node, part, with_key=False):
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        # The last of equal keys wins, as in the constructed data.
        for key, value in reversed(node.value):
            if key.value == part:
                return (key, value) if with_key else value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return (None, node.value[part]) if with_key else node.value[part]
    return None
