"""What the timing commands print for people, in zh-CN or English (``--json`` prints the data instead)."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t
from callwise.timing.evaluate import PREDICTORS


def slot_name(hour_of_week: int, lang: str) -> str:
    """``43`` → ``周二 19:00`` / ``Tue 19:00``."""
    return f"{t(f'timing.weekday.{hour_of_week // 24}', lang)} {hour_of_week % 24:02d}:00"


def fit_text(summary: dict[str, Any], lang: str) -> str:
    counts = summary["attempts"]
    kappa_daypart = summary["kappa_daypart"]
    lines = [
        t(
            "timing.fit.title",
            lang,
            as_of=summary["as_of"][:10],
            attempts=f"{counts['used']:,}",
            customers=f"{summary['customers']:,}",
            with_history=f"{summary['customers_with_history']:,}",
        ),
        t(
            "timing.fit.dropped",
            lang,
            wrong_number=f"{counts['wrong_number']:,}",
            illegal=f"{counts['outside_legal_hours']:,}",
            missing=f"{counts['no_time_or_customer']:,}",
        ),
        t("timing.fit.segments", lang, levels=", ".join(f"{k} ({v})" for k, v in summary["segments"].items()) or "—"),
        t(
            "timing.fit.customer",
            lang,
            kappa=f"{summary['kappa_customer']:.3g}",
            kappa_daypart=t("timing.fit.not_used", lang) if kappa_daypart is None else f"{kappa_daypart:.3g}",
        ),
    ]
    if summary.get("evaluation"):
        lines.append(eval_text(summary["evaluation"], lang))
    lines.append(t("timing.fit.saved", lang, path=summary["path"]))
    return "\n".join(lines)


def eval_text(result: dict[str, Any], lang: str) -> str:
    test = result["test"]
    lines = [
        t(
            "timing.eval.title",
            lang,
            split=split_text(result["split"], lang),
            cutoff=result["cutoff"][:16].replace("T", " "),
        ),
        t(
            "timing.eval.test",
            lang,
            attempts=f"{test['attempts']:,}",
            answered=f"{test['answered']:,}",
            customers=f"{test['customers']:,}",
        ),
        t("timing.eval.header", lang),
    ]
    for name in PREDICTORS:
        s = result["predictors"][name]
        label = t(f"timing.predictor.{name}", lang)
        width = 24 - sum(1 for ch in label if ord(ch) > 0x2E80)  # wide characters take two columns
        auc = "—" if s["auc"] is None else f"{s['auc']:.4f}"
        lines.append(f"  {label.ljust(width)} {s['log_loss']:.5f}    {s['brier']:.5f}    {auc}")
    gain = f"{result['log_loss_gain']['segment']:.5f}"
    lines.append(t("timing.eval.beats" if result["beats_baselines"] else "timing.eval.not_beats", lang, gain=gain))
    return "\n".join(lines)


def split_text(split: dict[str, Any], lang: str) -> str:
    """How the held-out attempts were chosen, in words."""
    by = split["by"]
    if by == "campaign":
        return t("timing.split.campaign", lang, campaign=split["campaign"])
    if by == "days":
        return t("timing.split.days", lang, days=f"{split['days']:g}")
    if by == "share":
        return t("timing.split.share", lang, share=f"{split['share']:.0%}")
    return t("timing.split.cutoff", lang)


def heatmap_text(summary: dict[str, Any], lang: str) -> str:
    what_key = "timing.heatmap.segment" if summary.get("segment") is not None else "timing.heatmap.customer"
    what = t(what_key, lang, name=summary.get("segment") or summary.get("customer"))
    best = ", ".join(f"{slot_name(s['hour_of_week'], lang)} ({s['p_answer']:.2f})" for s in summary["best"])
    return "\n".join(
        [t("timing.heatmap.title", lang, what=what, path=summary["path"]), t("timing.heatmap.best", lang, slots=best)]
    )
