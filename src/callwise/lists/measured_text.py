"""The control group in plain words: what lift it can detect, and whether that is small enough to be useful.

Shared by the list report and ``callwise lists build`` so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callwise.i18n import t


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%"


def control_group_text(experiment: Mapping[str, Any], lang: str = "zh") -> list[str]:
    """Sentences about the summary's ``experiment``: the detectable lift, the verdict, the size needed."""
    found = experiment.get("detectable_lift")
    target = _pct(experiment["lift_to_detect"])
    power = _pct(experiment["power"])
    lines: list[str] = []
    if not experiment.get("control_held_out"):
        lines.append(t("listreport.no_control", lang))
    elif found is None or "error" in found:
        lines.append(t("listreport.untestable", lang, n_control=f"{experiment['control_held_out']:,}"))
    else:
        lines.append(
            t(
                "listreport.mde",
                lang,
                alpha=f"{experiment['alpha']:g}",
                power=power,
                base_rate=_pct(found["base_rate"], 2),
                n_control=f"{found['n_control']:,}",
                mde_pp=f"{100 * found['mde_absolute']:.2f}",
                mde_relative=_pct(found["mde_relative"]),
            )
        )
        key = "listreport.measurable" if experiment["lift_measurable"] else "listreport.too_small"
        lines.append(t(key, lang, mde_relative=_pct(found["mde_relative"]), target=target))
    needed = experiment.get("needed")
    if needed:
        lines.append(
            t(
                "listreport.needed",
                lang,
                target=target,
                power=power,
                list_size=f"{needed['list_size']:,}",
                n_control=f"{needed['n_control']:,}",
            )
        )
    return lines
