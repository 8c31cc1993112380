"""`callwise demo`: a synthetic bank from nothing to a call list and a report, on the embedded default.

Also the body of the 1M-customer benchmark (`run_pipeline` with ``evaluate=False``): the same stages, timed.
Without PII keys in the settings the demo makes a throw-away key ring under its output folder
(``OUT/keys/demo-keys.env``), so ``make demo`` stays one command and still stores no personal data in clear.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from callwise.lake import Lake
from callwise.pipeline import (
    PipelineSummary,
    StageClock,
    default_list_date,
    peak_memory_mb,
    train_from_lake,
    training_frame,
)
from callwise.security.crypto import demo_key_ring
from callwise.security.files import private_dir, private_file
from callwise.security.pii import Pii
from callwise.settings import Settings, get_settings

DEMO_KEYS = Path("keys") / "demo-keys.env"


def run_pipeline(
    out: str | Path,
    customers: int = 50_000,
    seed: int = 7,
    capacity_share: float = 0.02,
    evaluate: bool = True,
    langs: tuple[str, ...] = ("zh", "en"),
    threads: int = 2,
    pii: Pii | None = None,
) -> PipelineSummary:
    """Run every stage into ``out``; return the summary (also written to ``out/summary.json``).

    ``pii``: the keys; from the settings, or a demo key ring under ``out`` (see :func:`demo_keys`) when unset.
    """
    from callwise.ingest import ingest_directory
    from callwise.lists.against_truth import compare_schedules_with_truth, compare_with_truth
    from callwise.lists.build import build_list
    from callwise.lists.campaign import Campaign
    from callwise.lists.output import write_list
    from callwise.synth import synthesize

    out = Path(out)
    demo_key_file = None
    if pii is None:
        pii, demo_key_file = demo_keys(out)
    clock = StageClock()
    bank, lake_dir = out / "bank", out / "lake"

    with clock.stage("synth") as s:
        manifest = synthesize(bank, customers=customers, seed=seed, fmt="parquet")
        s["rows"] = sum(manifest["rows"].values())
    lake = Lake(lake_dir, threads=threads)
    with clock.stage("ingest") as s:
        ingest = ingest_directory(bank, lake, out / "quarantine", pii=pii).to_dict()
        s["rows"] = ingest["read"]

    evaluation: dict[str, Any] = {}
    reports: dict[str, str] = {}
    if evaluate:
        with clock.stage("evaluate") as s:
            evaluation, reports = _evaluate(lake, out / "report", langs, seed)
            s["rows"] = evaluation["lightgbm"]["rows"]
    with clock.stage("train") as s:
        model, card = train_from_lake(lake, "lightgbm", out / "models" / "lightgbm", seed=seed)
        s["rows"] = card["rows"]

    product = _wealth_product(manifest)
    campaign = Campaign(
        campaign_id=f"demo-{product}",
        name="稳健理财外呼 / wealth outreach",
        product_id=product,
        date=default_list_date(date.fromisoformat(str(manifest["end"]))),
        capacity=max(1, int(customers * capacity_share)),
        cost_per_call=5.0,
        seed=seed,
    )
    with clock.stage("list") as s:
        result = build_list(campaign, lake, model)
        s["rows"] = result.summary["customers"]
        s["steps"] = result.seconds
        s["scored"] = len(result.ranked)
        s["score_rows_per_s"] = round(len(result.ranked) / max(result.seconds["score"], 1e-9))
    files = write_list(result, out / "lists" / campaign.campaign_id)
    truth = compare_with_truth(result, bank / "_truth", seed=seed)
    schedules = compare_schedules_with_truth(result, bank / "_truth") if evaluate else None
    if evaluate:
        from callwise.report import render_list_report

        for lang in langs:
            path = out / "report" / f"call_list_{lang}.html"
            path.write_text(render_list_report(result.summary, result.listed, truth, lang), encoding="utf-8")
            reports[f"call_list_{lang}"] = str(path)

    summary: PipelineSummary = {
        "customers": customers,
        "seed": seed,
        "stages": clock.stages,
        "total_seconds": clock.total_seconds(),
        "peak_memory_mb": peak_memory_mb(),
        "ingest": {k: ingest[k] for k in ("read", "accepted", "quarantined")},
        "evaluation": {name: _headline(m) for name, m in evaluation.items()},
        "list": {k: result.summary[k] for k in ("campaign_id", "product_id", "date", "capacity", "listed", "eligible")},
        "against_truth": truth,
        "schedules_against_truth": schedules,
        "plan": {k: result.summary["plan"][k] for k in ("solver", "gap", "expected_calls", "capacity_calls")},
        "files": {"lake": str(lake_dir), "list": files["list_csv"], "summary": files["summary"], **reports},
        "demo_keys": None if demo_key_file is None else str(demo_key_file),
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def demo_keys(out: Path, settings: Settings | None = None) -> tuple[Pii, Path | None]:
    """The settings' keys; when none are set, a throw-away ring in ``out/keys/demo-keys.env`` (0600) and its path.

    An existing demo ring there is used again, so a second demo run into the same folder can read the first.
    """
    settings = settings or get_settings()
    if settings.pii_keys is not None or settings.lookup_key is not None:
        return Pii.from_settings(settings), None  # keys set (or half set: refused there, naming the missing one)
    path = out / DEMO_KEYS
    if not path.exists():
        private_dir(path.parent)
        private_file(path)
        path.write_text("".join(f"{k}={v}\n" for k, v in demo_key_ring().items()), encoding="utf-8")
    ring = dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return Pii.from_settings(Settings(pii_keys=ring["CALLWISE_PII_KEYS"], lookup_key=ring["CALLWISE_LOOKUP_KEY"])), path


def _evaluate(lake: Lake, report_dir: Path, langs: tuple[str, ...], seed: int) -> tuple[dict, dict[str, str]]:
    """5-fold CV of the response model and the scorecard on past campaigns, with bilingual reports."""
    from callwise.models import make_model
    from callwise.models.evaluation import cross_validate
    from callwise.report import render_model_report

    X, y, _ = training_frame(lake)
    report_dir.mkdir(parents=True, exist_ok=True)
    results, reports = {}, {}
    for name in ("lightgbm", "scorecard"):
        results[name] = cross_validate(name, X, y, folds=5, seed=seed)
        fitted = make_model(name, random_state=seed).fit(X, y) if name == "scorecard" else None  # for its points table
        for lang in langs:
            path = report_dir / f"model_{name}_{lang}.html"
            path.write_text(render_model_report(results[name], fitted, lang=lang), encoding="utf-8")
            reports[f"model_{name}_{lang}"] = str(path)
    return results, reports


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("auc", "pr_auc", "ks", "alift", "capture", "rows", "positives") if k in metrics}


def _wealth_product(manifest: dict[str, Any]) -> str:
    products = manifest["products"]
    wealth = [p["product_id"] for p in products if p["category"] == "wealth"]
    if not wealth:
        raise ValueError("the synthetic bank has no wealth product")
    return sorted(wealth)[0]
