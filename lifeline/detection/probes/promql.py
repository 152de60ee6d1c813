"""A small, safe subset of PromQL, evaluated over one scrape of a /metrics page.

    expression := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
    sum        := product {("+" | "-") product}
    product    := unary {("*" | "/") unary}
    unary      := "-" unary | NUMBER | "(" sum ")" | vector | FUNC "(" vector ")"
    vector     := selector | RATE "(" selector "[" WINDOW "]" ")"
    selector   := METRIC ["{" label ("=" | "!=" | "=~" | "!~") "string" {"," ...} "}"]
    FUNC       := sum | avg | min | max | count
    RATE       := rate | irate
    WINDOW     := a duration such as 30s, 1m, 5m, 1h30m (units s, m, h, d)

A bare vector must match exactly one series (add label filters until it does); the
functions fold the series it matches. The expression is a number; with a comparison, the
reading fails when the comparison holds, as a Prometheus alerting rule fires, e.g.

    node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"} * 100 < 10
    100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m]))) > 95

A probe scrapes once per interval, so rate() and irate() are both the per-second increase
between the probe's previous scrape (its Counters, kept on the probe) and this one, per series
(matched by labels); that previous scrape must lie within the window.

Nothing is evaluated but arithmetic on the scraped numbers: no Python eval.
"""
import math
import operator
import re
import statistics
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from prometheus_client.parser import text_string_to_metric_families

_TOKEN = re.compile(r"""\s*(?:
    (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<range>\[[^\][(){}]*\]?)  # a window; unclosed, it is named as a bad one
  | (?P<op><=|>=|==|!=|=~|!~|[<>=+\-*/(){},])
)""", re.VERBOSE)
COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
FUNCTIONS = {"sum": sum, "avg": statistics.fmean, "min": min, "max": max, "count": len}
MATCHERS = ("=", "!=", "=~", "!~")
RATES = ("rate", "irate")
_WINDOW = re.compile(r"(?:\d+[smhd])+")
_WINDOW_PART = re.compile(r"(\d+)([smhd])")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ExpressionInvalid(ValueError):
    pass


class EvaluationFailed(Exception):
    """The scrape does not hold what the expression asks for (no series, several, division by 0)."""


class NoVerdictYet(EvaluationFailed):
    """rate() has no previous scrape within its window (a new probe, or the worker was away):
    this reading cannot judge, and it is the next reading's previous scrape."""


Samples = dict[str, list[tuple[dict, float]]]


@dataclass(frozen=True)
class Counters:
    """What a probe keeps of one scrape for rate() in its next reading: the series each rate
    selector matched (by the selector's text, so an edited expression finds none of the old
    ones) and the time of that scrape."""
    at: datetime
    series: dict[str, list]

    def to_json(self) -> dict:
        return {"at": self.at.isoformat(), "series": self.series}

    @classmethod
    def from_json(cls, data) -> "Counters | None":
        try:
            return cls(datetime.fromisoformat(data["at"]), dict(data["series"])) if data else None
        except (KeyError, TypeError, ValueError):
            return None  # unreadable: as if there were no previous scrape


@dataclass(frozen=True)
class Scrape:
    """What an expression is evaluated over: this scrape, its time, and the previous one's counters."""
    samples: Samples
    at: datetime | None = None
    before: Counters | None = None


def _key(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


def _one(vector, scrape: Scrape) -> float:
    values = vector.series(scrape)
    if len(values) != 1:
        raise EvaluationFailed(_("%(selector)s matches %(count)d series; it must match exactly one "
                                 "(add label filters or use sum/avg/min/max/count)")
                               % {"selector": vector, "count": len(values)})
    return values[0]


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()

    def __str__(self):
        inner = ",".join(f'{label}{op}"{value}"' for label, op, value in self.matchers)
        return f"{self.metric}{{{inner}}}" if inner else self.metric

    def matching(self, samples: Samples) -> list[tuple[dict, float]]:
        return [(labels, value) for labels, value in samples.get(self.metric, []) if self._matches(labels)]

    def series(self, scrape: Scrape) -> list[float]:
        return [value for _labels, value in self.matching(scrape.samples)]

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

    def evaluate(self, scrape: Scrape) -> float:
        return _one(self, scrape)


@dataclass(frozen=True)
class Rate:
    """rate() or irate() of a counter: per second, from the probe's previous scrape to this one.
    With two scrapes the two are the same (Prometheus' rate would also extrapolate to the
    window's edges, which needs more points than a probe has)."""
    function: str
    selector: Selector
    window: str
    seconds: float

    def __str__(self):
        return f"{self.function}({self.selector}[{self.window}])"

    def series(self, scrape: Scrape) -> list[float]:
        earlier, elapsed = self._before(scrape)
        rates = []
        for labels, value in self.selector.matching(scrape.samples):
            previous = earlier.get(_key(labels))
            if previous is None:
                continue  # a series new since the previous scrape has no rate yet
            # A counter that went down was restarted from 0 (its process restarted), as Prometheus takes it.
            rates.append((value - previous if value >= previous else value) / elapsed)
        return rates

    def _before(self, scrape: Scrape) -> tuple[dict, float]:
        """The previous scrape's series by labels, and the seconds since it; refused unless within the window."""
        before = scrape.before
        kept = before.series.get(str(self.selector)) if before else None
        elapsed = (scrape.at - before.at).total_seconds() if kept is not None and scrape.at else 0
        names = {"function": self.function, "window": self.window}
        if elapsed <= 0:
            raise NoVerdictYet(_("%(function)s() needs two scrapes within %(window)s; "
                                     "the next reading will have one") % names)
        if elapsed > self.seconds:
            raise NoVerdictYet(_("%(function)s() needs two scrapes within %(window)s; the previous one was "
                                     "%(seconds).0f s earlier (the probe's interval must be shorter than the "
                                     "window)") % {**names, "seconds": elapsed})
        return {_key(labels): value for labels, value in kept}, elapsed

    def evaluate(self, scrape: Scrape) -> float:
        return _one(self, scrape)


@dataclass(frozen=True)
class Fold:
    function: str
    vector: Selector | Rate

    def evaluate(self, scrape: Scrape) -> float:
        values = self.vector.series(scrape)
        if not values and self.function != "count":
            raise EvaluationFailed(_("%(selector)s matches no series") % {"selector": self.vector})
        return float(FUNCTIONS[self.function](values))


@dataclass(frozen=True)
class Number:
    value: float

    def evaluate(self, scrape: Scrape) -> float:
        return self.value


@dataclass(frozen=True)
class Negative:
    operand: object

    def evaluate(self, scrape: Scrape) -> float:
        return -self.operand.evaluate(scrape)


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object

    def evaluate(self, scrape: Scrape) -> float:
        left, right = self.left.evaluate(scrape), self.right.evaluate(scrape)
        if self.op == "/" and right == 0:
            raise EvaluationFailed(_("division by zero"))
        return ARITHMETIC[self.op](left, right)


@dataclass(frozen=True)
class Expression:
    left: object
    compares: str = ""
    right: object = None

    def evaluate(self, samples: Samples, at: datetime | None = None,
                 before: Counters | None = None) -> tuple[float, bool | None]:
        """(the value of the left side, whether the comparison holds: None without one).
        `at` is when the samples were scraped and `before` the previous scrape's counters (for rate())."""
        scrape = Scrape(samples, at, before)
        value = self.left.evaluate(scrape)
        if not self.compares:
            return value, None
        return value, COMPARISONS[self.compares](value, self.right.evaluate(scrape))

    def shortest_window(self) -> float | None:
        """Seconds of the shortest rate() window, None without rate(): a probe must scrape more often."""
        return min((node.seconds for node in _walk(self) if isinstance(node, Rate)), default=None)

    def counters(self, samples: Samples, at: datetime) -> dict:
        """What rate() needs of this scrape in the next reading, as JSON: only the series its
        selectors match, not the whole page ({} without rate())."""
        selectors = {str(node.selector): node.selector for node in _walk(self) if isinstance(node, Rate)}
        if not selectors:
            return {}
        # Not a number (NaN, ±Inf) is no counter reading, and PostgreSQL's JSON refuses it.
        series = {text: [[labels, value] for labels, value in selector.matching(samples) if math.isfinite(value)]
                  for text, selector in selectors.items()}
        return Counters(at, series).to_json()


def _walk(node):
    yield node
    for field in fields(node):
        child = getattr(node, field.name)
        if is_dataclass(child):
            yield from _walk(child)


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
                node = Fold(value, self.vector(self._name("a metric name")))
                self._expect(")", "')'")
                return node
            return self.vector(value)
        self._fail("expected a number, a metric or '('")

    def vector(self, name: str) -> Selector | Rate:
        if name in RATES and self._take("("):
            node = self.rate(name)
            self._expect(")", "')'")
            return node
        selector = self.selector(name)
        if self._peek()[0] == "range":
            self._fail("a window such as [1m] goes only inside rate() or irate()")
        return selector

    def rate(self, function: str) -> Rate:
        metric = self._name("a metric name")
        if self._peek()[:2] == ("op", "("):
            self._fail(f"{function}() takes a metric selector with a window, not a function")
        selector = self.selector(metric)
        kind, value, _where = self._peek()
        window = value[1:-1].strip() if kind == "range" and value.endswith("]") else ""
        seconds = _window_seconds(window)
        if not seconds:
            self._fail("expected a window such as [30s], [1m] or [5m]")
        self.at += 1
        return Rate(function, selector, window, seconds)

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


def _window_seconds(text: str) -> int:
    """1m: 60, 1h30m: 5400; 0 when the text is no window."""
    if not _WINDOW.fullmatch(text):
        return 0
    return sum(int(count) * SECONDS[unit] for count, unit in _WINDOW_PART.findall(text))
