"""A campaign's results as a few lines a campaign manager reads in the terminal (zh or en); the numbers are the
JSON's, each estimate with its interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callwise.i18n import t


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _pct(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{100 * x:+.{digits}f}%"


def _points(x: float | None) -> str:
    """A difference of two rates in percentage points (the lift), not a per cent of anything."""
    return "—" if x is None else f"{100 * x:+.2f}"


def _ci(interval: Mapping[str, Any], fmt: Any = _num) -> str:
    return f"{fmt(interval.get('estimate'))} [{fmt(interval.get('low'))}, {fmt(interval.get('high'))}]"


def results_text(result: Mapping[str, Any], lang: str) -> str:
    itt, value, reached, harm = result["itt"], result["value"], result["reached"], result["harm"]
    cuped = result["adjusted"]["variants"]["cuped"]["conversions"]
    sequential, arms = result["sequential"], result["arms"]
    lines = [
        t(
            "results.cli.groups",
            lang,
            campaign=result["campaign_id"],
            days=result["window_days"],
            n_t=f"{itt['n_treatment']:,}",
            c_t=f"{itt['conversions_treatment']:,}",
            r_t=f"{100 * itt['rate_treatment']:.2f}%",
            n_c=f"{itt['n_control']:,}",
            c_c=f"{itt['conversions_control']:,}",
            r_c=f"{100 * itt['rate_control']:.2f}%",
        ),
        t("results.cli.lift", lang, lift=_ci(itt["lift"], _points), relative=_ci(itt["relative_lift"], _pct)),
        t(
            "results.cli.incremental",
            lang,
            conversions=_ci(itt["incremental_conversions"]),
            revenue=_ci(itt["revenue"]["incremental"], lambda x: _num(x, 0)),
        ),
        t(
            "results.cli.value",
            lang,
            cost=_num(result["costs"]["total"], 0),
            net=_ci(value["net_value"], lambda x: _num(x, 0)),
            roi=_ci(value["roi"], lambda x: _num(x, 2)),
            cpia=_ci(value["cpia"], lambda x: _num(x, 0)),
        ),
        t(
            "results.cli.reached",
            lang,
            rate=f"{100 * reached['contact_rate']['estimate']:.1f}%",
            effect=_ci(reached["effect"], _points),
        ),
        t(
            "results.cli.harm",
            lang,
            complaint=_ci(harm["complaint"]),
            dnc=_ci(harm["dnc"]),
            opt_out=_ci(harm["opt_out"]),
        ),
        t(
            "results.cli.cuped",
            lang,
            incremental=_ci(cuped["incremental"]),
            narrower=f"{100 * cuped['width_reduction']:.1f}%",
        ),
        t(
            "results.cli.sequential_shown" if sequential["effect_shown"] else "results.cli.sequential_not_yet",
            lang,
            p=f"{sequential['p_value']:.3g}",
            day=sequential.get("first_day_shown"),
        ),
    ]
    if len(arms.get("arms", [])) > 1:
        winner = arms.get("winner")
        lines.append(t("results.cli.winner", lang, arm=winner) if winner else t("results.cli.no_winner", lang))
        shares = ", ".join(f"{arm} {100 * share:.0f}%" for arm, share in result["thompson"].items())
        lines.append(t("results.cli.next_shares", lang, shares=shares))
    lines += [t(f"resultsreport.warning_{code}", lang) for code in result.get("warnings", [])]
    return "\n".join(lines)
