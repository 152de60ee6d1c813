"""Column charts as geometry for an inline SVG template (core/_chart.html, styled by
core/_chart_styles.html): no JavaScript, no CDN. Shared by the analysis, continuity and probe pages."""
import itertools
from dataclasses import dataclass, field

# Colour-blind-safe (Okabe-Ito), most severe level first.
PALETTE = ["#d55e00", "#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#f0e442", "#000000"]
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 30
TICKS = 4


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # shown on hover, and read by screen readers


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    right: float = WIDTH - RIGHT


def _nice_top(value: float) -> float:
    """A round axis maximum at or above value whose ticks are whole: 4 × (1, 2, 5, 10, 20, 50 …)."""
    step, multipliers = 1.0, itertools.cycle((2, 2.5, 2))
    while step * TICKS < value:
        step *= next(multipliers)
    return step * TICKS


def columns(title: str, categories: list[str], series: list[tuple[str, list[float]]], *, stacked: bool,
            top: float | None = None, unit: str = "") -> Chart:
    """One column per category; the series stacked in it, or side by side. None draws nothing."""
    chart = Chart(title=title, legend=[(PALETTE[i % len(PALETTE)], name) for i, (name, _v) in enumerate(series)])
    plot_width, plot_height = chart.right - chart.left, chart.bottom - TOP
    heights = [sum(v[c] or 0 for _n, v in series) if stacked else max((v[c] or 0 for _n, v in series), default=0)
               for c in range(len(categories))]
    top = top or _nice_top(max(heights, default=0) or 1)
    chart.y_ticks = [(chart.bottom - plot_height * k / TICKS, f"{top * k / TICKS:g}{unit}") for k in range(TICKS + 1)]
    if not categories:
        return chart
    slot = plot_width / len(categories)
    width = slot * 0.7 / (1 if stacked else len(series))
    for c, category in enumerate(categories):
        x0 = chart.left + slot * c + slot * 0.15
        chart.x_labels.append((chart.left + slot * (c + 0.5), category))
        base = chart.bottom
        for s, (name, values) in enumerate(series):
            value = values[c]
            if value is None or (stacked and not value):  # nothing to stack
                continue
            height = plot_height * value / top
            x = x0 if stacked else x0 + width * s
            y = base - height
            chart.bars.append(Bar(round(x, 1), round(y, 1), round(width, 1), round(height, 1),
                                  PALETTE[s % len(PALETTE)], f"{category} · {name}: {value:g}{unit}"))
            if stacked:
                base = y
    return chart
