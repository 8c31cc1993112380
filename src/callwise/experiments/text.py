"""What the experiments commands print for people, in zh or en (with --json they print data instead)."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t


def _pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:.{digits}f}%"


def _pp(x: float) -> str:
    return f"{x * 100:.3f}"


def power_text(result: dict[str, Any], lang: str = "zh", required: dict[str, Any] | None = None) -> str:
    """The MDE, the groups, the expected conversions, the control-share trade-off (and a required size)."""
    sides = t("experiments.power.two_sided" if result["two_sided"] else "experiments.power.one_sided", lang)
    conv = result["expected_conversions"]
    lines = [
        t("experiments.power.title", lang),
        t(
            "experiments.power.groups",
            lang,
            n=f"{result['list_size']:,}",
            control=f"{result['n_control']:,}",
            share=_pct(result["control_share"], 1),
            treatment=f"{result['n_treatment']:,}",
        ),
        t(
            "experiments.power.test",
            lang,
            base=_pct(result["base_rate"]),
            alpha=f"{result['alpha']:g}",
            sides=sides,
            power=_pct(result["power"], 0),
        ),
        t(
            "experiments.power.mde",
            lang,
            absolute=_pp(result["mde_absolute"]),
            relative=_pct(result["mde_relative"], 1),
            rate=_pct(result["treatment_rate_at_mde"]),
        ),
        t(
            "experiments.power.conversions",
            lang,
            control=f"{conv['control']:,.0f}",
            treatment=f"{conv['treatment_without_lift']:,.0f}",
            at_mde=f"{conv['treatment_at_mde']:,.0f}",
        ),
        "",
        t("experiments.power.tradeoff", lang),
    ]
    for row in result["tradeoff"]:
        mark = t("experiments.power.current", lang) if row["control_share"] == result["control_share"] else ""
        share, control = _pct(row["control_share"], 0), f"{row['n_control']:,}"
        if row["mde_absolute"] is None:  # the groups are too small for any lift to reach the power wanted
            lines.append(t("experiments.power.tradeoff_unreachable", lang, share=share, control=control, mark=mark))
            continue
        lines.append(
            t(
                "experiments.power.tradeoff_row",
                lang,
                share=share,
                control=control,
                absolute=_pp(row["mde_absolute"]),
                relative=_pct(row["mde_relative"], 1),
                mark=mark,
            )
        )
    lines.append(t("experiments.power.optimal", lang, share=f"{result['optimal_control_share']:.2f}"))
    if not result["normal_approximation_ok"]:
        lines.append(t("experiments.power.approximation", lang))
    if required is not None:
        lines += [
            "",
            t(
                "experiments.power.required",
                lang,
                power=_pct(required["power"], 0),
                absolute=_pp(required["lift_absolute"]),
                relative=_pct(required["lift_relative"], 1),
                n=f"{required['list_size']:,}",
                control=f"{required['n_control']:,}",
                treatment=f"{required['n_treatment']:,}",
            ),
        ]
    return "\n".join(lines)


def balance_text(report: dict[str, Any], lang: str = "zh") -> str:
    """The balance report a manager reads before launch."""
    lines = [
        t(
            "experiments.assign.title",
            lang,
            n=f"{report['customers']:,}",
            control=f"{report['control']:,}",
            share=_pct(report["control_share"] or 0.0, 1),
            treatment=f"{report['treatment']:,}",
        )
    ]
    if not report["lift_measurable"]:
        lines.append(t("experiments.assign.no_control", lang))
    arms = ", ".join(f"{k} {v['customers']:,} ({_pct(v['share_of_treatment'], 1)})" for k, v in report["arms"].items())
    lines.append(t("experiments.assign.arms", lang, arms=arms))
    shares = "  ".join(f"{d['decile']}: {_pct(d['control_share'], 1)}" for d in report["deciles"])
    lines.append(t("experiments.assign.deciles", lang, shares=shares))
    chi = report["chi_square"]
    if chi is None:
        lines.append(t("experiments.assign.chi_square_na", lang))
    else:
        lines.append(
            t(
                "experiments.assign.chi_square",
                lang,
                statistic=f"{chi['statistic']:.2f}",
                dof=chi["dof"],
                p=f"{chi['p_value']:.3f}",
            )
        )
    lines.append(t("experiments.assign.smd", lang, threshold=report["smd_threshold"]))
    for column, row in report["smd"].items():
        lines.append(
            t(
                "experiments.assign.smd_row",
                lang,
                column=column,
                control=_num(row["mean_control"]),
                treatment=_num(row["mean_treatment"]),
                smd=_num(row["smd"], "+.3f"),
            )
        )
    if report["balanced"]:
        lines.append(t("experiments.assign.balanced", lang))
    elif report["lift_measurable"]:
        worse = [c for c, r in report["smd"].items() if r["smd"] is None or abs(r["smd"]) > report["smd_threshold"]]
        lines.append(t("experiments.assign.imbalanced", lang, columns=", ".join(worse)))
    return "\n".join(lines)


def _num(x: float | None, spec: str = ".4g") -> str:
    return "—" if x is None else format(x, spec)
