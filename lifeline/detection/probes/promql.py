"""A small, safe subset of PromQL, evaluated over one scrape of a /metrics page.

    expression := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
    sum        := product {("+" | "-") product}
    product    := unary {("*" | "/") unary}
    unary      := "-" unary | NUMBER | "(" sum ")" | selector | FUNC "(" selector ")"
    selector   := METRIC ["{" label ("=" | "!=" | "=~" | "!~") "string" {"," ...} "}"]
    FUNC       := sum | avg | min | max | count

A bare selector must match exactly one series (add label filters until it does); the
functions fold the series it matches. The expression is a number; with a comparison, the
reading fails when the comparison holds, as a Prometheus alerting rule fires, e.g.

    node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"} * 100 < 10

Nothing is evaluated but arithmetic on the scraped numbers: no Python eval.
"""
import operator
import re
import statistics
from dataclasses import dataclass

from django.utils.translation import gettext as _
from prometheus_client.parser import text_string_to_metric_families

_TOKEN = re.compile(r"""\s*(?:
    (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|==|!=|=~|!~|[<>=+\-*/(){},])
)""", re.VERBOSE)
COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
FUNCTIONS = {"sum": sum, "avg": statistics.fmean, "min": min, "max": max, "count": len}
MATCHERS = ("=", "!=", "=~", "!~")


class ExpressionInvalid(ValueError):
    pass


class EvaluationFailed(Exception):
    """The scrape does not hold what the expression asks for (no series, several, division by 0)."""


Samples = dict[str, list[tuple[dict, float]]]


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()

    def __str__(self):
        inner = ",".join(f'{label}{op}"{value}"' for label, op, value in self.matchers)
        return f"{self.metric}{{{inner}}}" if inner else self.metric

    def series(self, samples: Samples) -> list[float]:
        return [value for labels, value in samples.get(self.metric, []) if self._matches(labels)]

    def _matches(self, labels: dict) -> bool:
        for label, op, value in self.matchers:
            actual = labels.get(label, "")
            if op in ("=~", "!~"):
                found = re.fullmatch(value, actual) is not None
            else:
                found = actual == value
            if found != (op in ("=", "=~")):
                return False
        return True

    def evaluate(self, samples: Samples) -> float:
        values = self.series(samples)
        if len(values) != 1:
            raise EvaluationFailed(_("%(selector)s matches %(count)d series; it must match exactly one "
                                     "(add label filters or use sum/avg/min/max/count)")
                                   % {"selector": self, "count": len(values)})
        return values[0]


@dataclass(frozen=True)
class Fold:
    function: str
    selector: Selector

    def evaluate(self, samples: Samples) -> float:
        values = self.selector.series(samples)
        if not values and self.function != "count":
            raise EvaluationFailed(_("%(selector)s matches no series") % {"selector": self.selector})
        return float(FUNCTIONS[self.function](values))


@dataclass(frozen=True)
class Number:
    value: float

    def evaluate(self, samples: Samples) -> float:
        return self.value


@dataclass(frozen=True)
class Negative:
    operand: object

    def evaluate(self, samples: Samples) -> float:
        return -self.operand.evaluate(samples)


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object

    def evaluate(self, samples: Samples) -> float:
        left, right = self.left.evaluate(samples), self.right.evaluate(samples)
        if self.op == "/" and right == 0:
            raise EvaluationFailed(_("division by zero"))
        return ARITHMETIC[self.op](left, right)


@dataclass(frozen=True)
class Expression:
    left: object
    compares: str = ""
    right: object = None

    def evaluate(self, samples: Samples) -> tuple[float, bool | None]:
        """(the value of the left side, whether the comparison holds: None without one)."""
        value = self.left.evaluate(samples)
        if not self.compares:
            return value, None
        return value, COMPARISONS[self.compares](value, self.right.evaluate(samples))


def parse(text: str) -> Expression:
    return _Parser(text).expression()


def scrape_samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by sample name (node_cpu_seconds_total …)."""
    samples: Samples = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append((sample.labels, float(sample.value)))
    except ValueError as exc:
        raise EvaluationFailed(_("not a Prometheus metrics page: %(reason)s") % {"reason": exc}) from None
    return samples


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokens(text)
        self.at = 0

    @staticmethod
    def _tokens(text: str) -> list[tuple[str, str, int]]:
        tokens, position = [], 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if not match:
                start = len(text) - len(text[position:].lstrip())
                raise ExpressionInvalid(f"at character {start + 1}: unexpected {text[start]!r}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        return tokens

    def _peek(self) -> tuple[str, str, int]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "", len(self.text))

    def _take(self, *values: str) -> str | None:
        kind, value, _where = self._peek()
        if kind == "op" and value in values:
            self.at += 1
            return value
        return None

    def _expect(self, value: str, what: str):
        if self._take(value) is None:
            self._fail(f"expected {what}")

    def _fail(self, reason: str):
        kind, value, where = self._peek()
        found = "the end" if kind == "end" else repr(value)
        raise ExpressionInvalid(f"at character {where + 1}: {reason}, found {found}")

    def expression(self) -> Expression:
        if not self.tokens:
            raise ExpressionInvalid("the expression is empty")
        left = self.sum()
        op = self._take(*COMPARISONS)
        result = Expression(left, op, self.sum()) if op else Expression(left)
        if self._peek()[0] != "end":
            self._fail("expected an operator (+ - * /) or a comparison")
        return result

    def sum(self):
        node = self.product()
        while op := self._take("+", "-"):
            node = Binary(op, node, self.product())
        return node

    def product(self):
        node = self.unary()
        while op := self._take("*", "/"):
            node = Binary(op, node, self.unary())
        return node

    def unary(self):
        if self._take("-"):
            return Negative(self.unary())
        if self._take("("):
            node = self.sum()
            self._expect(")", "')'")
            return node
        kind, value, _where = self._peek()
        if kind == "number":
            self.at += 1
            return Number(float(value))
        if kind == "name":
            self.at += 1
            if value in FUNCTIONS and self._take("("):
                node = Fold(value, self.selector(self._name("a metric name")))
                self._expect(")", "')'")
                return node
            return self.selector(value)
        self._fail("expected a number, a metric or '('")

    def _name(self, what: str) -> str:
        kind, value, _where = self._peek()
        if kind != "name":
            self._fail(f"expected {what}")
        self.at += 1
        return value

    def selector(self, metric: str) -> Selector:
        matchers = []
        if self._take("{"):
            while not self._take("}"):
                label = self._name("a label name")
                op = self._take(*MATCHERS) or self._fail("expected =, !=, =~ or !~")
                kind, value, where = self._peek()
                if kind != "string":
                    self._fail("expected a quoted label value")
                self.at += 1
                text = re.sub(r"\\(.)", r"\1", value[1:-1])  # "\\." is \. as in PromQL
                if op in ("=~", "!~"):
                    try:
                        re.compile(text)
                    except re.error as exc:
                        raise ExpressionInvalid(f"at character {where + 1}: bad regular expression: {exc}") from None
                matchers.append((label, op, text))
                if not self._take(","):
                    self._expect("}", "',' or '}'")
                    break
        return Selector(metric, tuple(matchers))
