"""Small inline SVG charts: reports are single HTML files that open anywhere, offline, with no scripts.

Each function returns an ``<svg>`` string. Text is escaped; numbers are rounded so the same data give
byte-identical reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 480, 300
PAD = {"left": 56, "right": 16, "top": 16, "bottom": 44}
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")  # spaces, one CJK character, or a word
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c")


def _frame(x_label: str, y_label: str, body: str, x_ticks: str, y_ticks: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" role="img" '
        'font-size="11" '
        f'font-family="sans-serif">'
        f'<rect x="{PAD["left"]}" y="{PAD["top"]}" width="{_pw()}" height="{_ph()}" fill="#fafafa" stroke="#e5e7eb"/>'
        f"{x_ticks}{y_ticks}{body}"
        f'<text x="{PAD["left"] + _pw() / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text x="14" y="{PAD["top"] + _ph() / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {PAD["top"] + _ph() / 2})">{escape(y_label)}</text></svg>'
    )


def _pw() -> float:
    return WIDTH - PAD["left"] - PAD["right"]


def _ph() -> float:
    return HEIGHT - PAD["top"] - PAD["bottom"]


def _sx(x: float, lo: float, hi: float) -> float:
    return round(PAD["left"] + (x - lo) / ((hi - lo) or 1) * _pw(), 2)


def _sy(y: float, lo: float, hi: float) -> float:
    return round(PAD["top"] + _ph() - (y - lo) / ((hi - lo) or 1) * _ph(), 2)


def _ticks(lo: float, hi: float, axis: str, fmt: str = "{:.2g}", n: int = 5) -> str:
    out = []
    for i in range(n + 1):
        v = lo + (hi - lo) * i / n
        label = escape(fmt.format(v))
        if axis == "x":
            x = _sx(v, lo, hi)
            out.append(f'<text x="{x}" y="{PAD["top"] + _ph() + 14}" text-anchor="middle">{label}</text>')
        else:
            y = _sy(v, lo, hi)
            out.append(f'<line x1="{PAD["left"]}" x2="{PAD["left"] + _pw()}" y1="{y}" y2="{y}" stroke="#eee"/>')
            out.append(f'<text x="{PAD["left"] - 4}" y="{y + 4}" text-anchor="end">{label}</text>')
    return "".join(out)


def line_chart(
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] = (0, 1),
    y_range: tuple[float, float] | None = None,
    fmt: str = "{:.0%}",
    dashed: Sequence[str] = (),
    y_fmt: str | None = None,
) -> str:
    """Lines through (x, y) points, one per series, with a legend (``y_fmt``: the y axis, when not ``fmt``)."""
    ys = [v for _, y in series.values() for v in y]
    lo, hi = y_range or (min(0.0, *ys), max(ys) if ys else 1.0)
    body, legend = [], []
    for i, (name, (x, y)) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{_sx(a, *x_range)},{_sy(b, lo, hi)}" for a, b in zip(x, y, strict=True))
        dash = ' stroke-dasharray="5 4"' if name in dashed else ""
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>')
        ly = PAD["top"] + 14 + 14 * i
        legend.append(
            f'<line x1="{PAD["left"] + 10}" x2="{PAD["left"] + 26}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash}/><text x="{PAD["left"] + 30}" y="{ly}">{escape(name)}</text>'
        )
    y_ticks = _ticks(lo, hi, "y", y_fmt or fmt)
    return _frame(x_label, y_label, "".join(body + legend), _ticks(*x_range, "x", fmt), y_ticks)


def bar_chart(labels: Sequence[str], values: Sequence[float], x_label: str, y_label: str, fmt: str = "{:.2g}") -> str:
    """Vertical bars, one per label."""
    hi = max([*values, 0.0]) * 1.1 or 1.0
    width = _pw() / max(len(values), 1)
    bars, names = [], []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        x = PAD["left"] + i * width + width * 0.15
        y = _sy(v, 0, hi)
        bottom = PAD["top"] + _ph()
        bars.append(
            f'<rect x="{round(x, 2)}" y="{y}" width="{round(width * 0.7, 2)}" height="{round(bottom - y, 2)}" '
            f'fill="{COLOURS[0]}"><title>{escape(str(label))}: {escape(fmt.format(v))}</title></rect>'
        )
        names.append(
            f'<text x="{round(x + width * 0.35, 2)}" y="{bottom + 14}" text-anchor="middle">{escape(str(label))}</text>'
        )
    return _frame(x_label, y_label, "".join(bars + names), "", _ticks(0, hi, "y", fmt))


def text_width(text: str, size: float = 11) -> float:
    """Rough rendered width in px: a CJK or full-width character is one em, anything else about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def wrap_label(text: str, width: float, size: float = 11) -> list[str]:
    """Lines of ``text`` each at most ``width`` px wide: broken at spaces, between CJK characters, or (for a
    word longer than a line) inside the word. Joined, the lines hold every character of the label."""
    lines: list[str] = []
    line = ""
    for token in _pieces(text, width, size):
        candidate = line + token
        if line.strip() and text_width(candidate.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _pieces(text: str, width: float, size: float) -> list[str]:
    pieces: list[str] = []
    for token in _TOKENS.findall(text):
        while text_width(token, size) > width:  # a word longer than the line: cut it where it no longer fits
            cut = next(i for i in range(1, len(token) + 1) if text_width(token[:i], size) > width) - 1
            pieces.append(token[: max(cut, 1)])
            token = token[max(cut, 1) :]
        pieces.append(token)
    return pieces


def hbar_chart(labels: Sequence[str], values: Sequence[float], fmt: str = "{:.1%}") -> str:
    """Horizontal bars (importance, funnels): long labels wrap onto more lines, never cut."""
    line_h, label_w = 13, 230
    hi = max([*values, 0.0]) or 1.0
    parts, y = [], 5
    for label, v in zip(labels, values, strict=True):
        lines = wrap_label(str(label), label_w - 10)
        row = max(20, line_h * len(lines) + 7)
        w = round(v / hi * (WIDTH - label_w - 70), 2)
        first = y + row / 2 + 4 - line_h * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{label_w - 6}" y="{round(first + line_h * i, 2)}">{escape(text)}</tspan>'
            for i, text in enumerate(lines)
        )
        parts.append(
            f'<text text-anchor="end">{spans}</text>'
            f'<rect x="{label_w}" y="{round(y + row / 2 - 7, 2)}" width="{w}" height="14" fill="{COLOURS[0]}">'
            f"<title>{escape(str(label))}: {escape(fmt.format(v))}</title></rect>"
            f'<text x="{label_w + w + 4}" y="{round(y + row / 2 + 4, 2)}">{escape(fmt.format(v))}</text>'
        )
        y += row
    height = y + 5
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" role="img" '
        'font-size="11" '
        f'font-family="sans-serif">{"".join(parts)}</svg>'
    )


def interval_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    marks: Sequence[float | None],
    x_label: str,
    y_label: str,
    names: tuple[str, str] = ("", ""),
    fmt: str = "{:.1%}",
) -> str:
    """Bars from zero (negative ones downwards) with their interval as a whisker, and a mark per bar (a dot).

    ``names`` label the bars and the marks in the legend; a missing value (None) leaves its place empty.
    """
    known = [v for v in (*values, *low, *high, *marks) if v is not None]
    lo, hi = min([0.0, *known]), max([0.0, *known])
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = (lo - pad if lo < 0 else lo), hi + pad
    width = _pw() / max(len(labels), 1)
    zero = _sy(0, lo, hi)
    parts = [f'<line x1="{PAD["left"]}" x2="{PAD["left"] + _pw()}" y1="{zero}" y2="{zero}" stroke="#9ca3af"/>']
    for i, label in enumerate(labels):
        centre = round(PAD["left"] + (i + 0.5) * width, 2)
        v, a, b, m = values[i], low[i], high[i], marks[i]
        if v is not None:
            top, bottom = sorted((_sy(v, lo, hi), zero))
            parts.append(
                f'<rect x="{round(centre - width * 0.3, 2)}" y="{top}" width="{round(width * 0.6, 2)}" '
                f'height="{round(bottom - top, 2)}" fill="{COLOURS[0]}" fill-opacity="0.75">'
                f"<title>{escape(str(label))}: {escape(fmt.format(v))}</title></rect>"
            )
        if a is not None and b is not None:
            ya, yb = _sy(a, lo, hi), _sy(b, lo, hi)
            parts.append(
                f'<line x1="{centre}" x2="{centre}" y1="{ya}" y2="{yb}" stroke="#111827"/>'
                f'<line x1="{centre - 4}" x2="{centre + 4}" y1="{ya}" y2="{ya}" stroke="#111827"/>'
                f'<line x1="{centre - 4}" x2="{centre + 4}" y1="{yb}" y2="{yb}" stroke="#111827"/>'
            )
        if m is not None:
            parts.append(f'<circle cx="{centre}" cy="{_sy(m, lo, hi)}" r="3.5" fill="{COLOURS[1]}"/>')
        parts.append(
            f'<text x="{centre}" y="{PAD["top"] + _ph() + 14}" text-anchor="middle">{escape(str(label))}</text>'
        )
    bar_name, mark_name = names
    lx, ly = PAD["left"] + _pw() - 120, PAD["top"] + 14  # top right: decile 1, the tallest bar, is on the left
    if bar_name or mark_name:
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" fill="{COLOURS[0]}"/>'
            f'<text x="{lx + 16}" y="{ly}">{escape(bar_name)}</text>'
            f'<circle cx="{lx + 6}" cy="{ly + 10}" r="3.5" fill="{COLOURS[1]}"/>'
            f'<text x="{lx + 16}" y="{ly + 14}">{escape(mark_name)}</text>'
        )
    return _frame(x_label, y_label, "".join(parts), "", _ticks(lo, hi, "y", fmt))
