"""What the model commands print for people, in zh-CN or English (``--json`` prints the data instead)."""

from __future__ import annotations

import unicodedata
from typing import Any

from callwise.i18n import t
from callwise.models.reasons import feature_label

METRICS = ("auc", "pr_auc", "ks", "brier", "log_loss", "alift")
DECILE_COLUMNS = ("decile", "rows", "positives", "rate", "lift", "cum_capture")
TOP_FEATURES = 5


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(width - _width(text), 0)
    return fill + text if right else text + fill


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  " + "  ".join(_pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
        for line in [header, *rows]
    ]


def evaluation_text(result: dict[str, Any], lang: str) -> str:
    """An evaluation (``cross_validate`` or ``rolling_backtest``) as lines: the figures, capture, deciles."""
    common = {"model": result["model"], "source": result.get("source", ""), "target": result.get("target", "")}
    if result["protocol"] == "cv":
        lines = [t("models.text.cv_title", lang, folds=result["folds"], **common)]
    else:
        title = t("models.text.rolling_title", lang, window=result["window"], step=result["step"], **common)
        lines = [title]
    lines.append(
        t(
            "models.text.rows",
            lang,
            rows=f"{result['rows']:,}",
            positives=f"{result['positives']:,}",
            rate=_pct(result["base_rate"]),
        )
    )
    if result.get("dropped_no_target"):
        lines.append(t("models.text.dropped", lang, rows=f"{result['dropped_no_target']:,}"))
    labels = [t(f"models.metric.{name}", lang) for name in METRICS]
    width = max(_width(label) for label in labels)
    lines += [f"  {_pad(label, width)}  {result[name]:.4f}" for label, name in zip(labels, METRICS, strict=True)]
    shares = [
        t("models.text.capture_share", lang, share=f"{float(s) * 100:g}%", buyers=_pct(v))
        for s, v in result["capture"].items()
    ]
    lines.append(t("models.text.capture", lang, shares=_join(shares, lang)))
    if result.get("deciles"):
        lines.append(t("models.text.deciles", lang))
        header = [t(f"models.decile.{c}", lang) for c in DECILE_COLUMNS]
        rows = [
            [
                str(d["decile"]),
                f"{d['rows']:,}",
                f"{d['positives']:,}",
                _pct(d["rate"]),
                "—" if d["lift"] is None else f"{d['lift']:.2f}",
                _pct(d["cum_capture"]),
            ]
            for d in result["deciles"]
        ]
        lines += _table(header, rows)
    if result.get("fold_auc"):
        lines.append(t("models.text.fold_auc", lang, values=_join([f"{a:.4f}" for a in result["fold_auc"]], lang)))
    if result.get("blocks"):
        scored = [b["auc"] for b in result["blocks"] if b["auc"] is not None]
        lines.append(t("models.text.blocks", lang, blocks=len(result["blocks"]), scored=len(scored)))
    if result.get("importance"):
        top = [feature_label(name, lang) for name in list(result["importance"])[:TOP_FEATURES]]
        lines.append(t("models.text.features", lang, features=_join(top, lang)))
    lines.append(t("models.text.seconds", lang, seconds=result["seconds"]))
    if result.get("report"):
        lines.append(t("models.text.report", lang, path=result["report"]))
    return "\n".join(lines)


def fit_text(summary: dict[str, Any], lang: str, folds: int = 0) -> str:
    """A saved model: where it went, what it learned from and (``folds`` > 0) how well it ranked out of sample."""
    lines = [
        t(
            "models.text.saved",
            lang,
            model=summary["model"],
            out=summary["out"],
            rows=f"{summary['rows']:,}",
            positives=f"{summary['positives']:,}",
        )
    ]
    campaigns = summary.get("data_window", {}).get("campaigns")
    if campaigns:
        lines.append(t("models.text.campaigns", lang, campaigns=_join(campaigns, lang)))
    metrics = summary.get("metrics")
    if metrics and folds:
        shown = _join([f"{t(f'models.metric.{name}', lang)} {metrics[name]:.4f}" for name in METRICS], lang)
        lines.append(t("models.text.card_metrics", lang, folds=folds, metrics=shown))
    return "\n".join(lines)


def score_text(summary: dict[str, Any], lang: str) -> str:
    """A scored table: how many rows, by which model, the mean score and where the file is."""
    return t(
        "models.text.scored",
        lang,
        rows=f"{summary['rows']:,}",
        model=summary["model"],
        mean=f"{summary['mean_score']:.4f}",
        out=summary["out"],
    )
