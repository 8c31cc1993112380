"""An interval (forest) chart: one row per cell, a dot at the estimate and a bar from the low to the high end.

Built like the charts of ``callwise.report.svg`` (same width, colours, label wrapping; numbers rounded so the same
data give the same bytes). A row without an interval shows its label only.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from callwise.report.svg import COLOURS, WIDTH, wrap_label

LABEL_W, LINE_H = 150, 13


def interval_chart(
    labels: Sequence[str],
    estimates: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    warn: Sequence[bool],
    fmt: str = "{:+.1%}",
    data: Sequence[bool] | None = None,
) -> str:
    """``warn``: rows drawn in the warning colour (small cells); ``data``: rows whose label is the bank's data
    (a province, a team), marked ``class="data"`` like the tables' data cells."""
    known = [v for v in (*lows, *highs, 0.0) if v is not None]
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    plot_w = WIDTH - LABEL_W - 20

    def x(v: float) -> float:
        return round(LABEL_W + (v - lo) / (hi - lo) * plot_w, 2)

    parts, y = [], 5
    flags = [False] * len(labels) if data is None else list(data)
    for label, est, low, high, small, is_data in zip(labels, estimates, lows, highs, warn, flags, strict=True):
        lines = wrap_label(str(label), LABEL_W - 10)
        row = max(20, LINE_H * len(lines) + 7)
        mid = y + row / 2
        first = mid + 4 - LINE_H * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{LABEL_W - 6}" y="{round(first + LINE_H * i, 2)}">{escape(t)}</tspan>'
            for i, t in enumerate(lines)
        )
        marked = ' class="data"' if is_data else ""
        parts.append(f'<text{marked} text-anchor="end">{spans}</text>')
        if est is not None and low is not None and high is not None:
            colour = COLOURS[1] if small else COLOURS[0]
            bounds = f"[{fmt.format(low)}, {fmt.format(high)}]"
            tip = escape(f"{label}: {fmt.format(est)} {bounds}")
            parts.append(
                f'<line x1="{x(low)}" x2="{x(high)}" y1="{round(mid, 2)}" y2="{round(mid, 2)}" stroke="{colour}" '
                f'stroke-width="3"><title>{tip}</title></line>'
                f'<circle cx="{x(est)}" cy="{round(mid, 2)}" r="4" fill="{colour}"/>'
            )
        y += row
    zero = x(0.0)
    axis = (
        f'<line x1="{zero}" x2="{zero}" y1="2" y2="{y}" stroke="#9ca3af" stroke-dasharray="4 3"/>'
        f'<text x="{x(lo)}" y="{y + 14}">{escape(fmt.format(lo))}</text>'
        f'<text x="{x(hi)}" y="{y + 14}" text-anchor="end">{escape(fmt.format(hi))}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {y + 22}" width="{WIDTH}" role="img" '
        f'font-size="11" font-family="sans-serif">{axis}{"".join(parts)}</svg>'
    )
