"""The stages end to end — synthesise, ingest, features, train, list, files — with timings per stage.

`callwise demo` and the 1M-customer benchmark both run through here (`run_pipeline`, the benchmark with
``evaluate=False`` and ``dialer="csv"``), so what the benchmark measures is what a user runs. The daily path
(:data:`DAILY_STAGES`) is what a bank runs every day: ingest, the list, its files, its dialer file.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from callwise.lake import Lake
from callwise.security.pii import Pii

# Columns of the training set that describe the row, not the customer: never model inputs.
META_COLUMNS = ("customer_id", "campaign_id", "product_id", "group", "cutoff", "converted", "treated")


class StageRecord(TypedDict, total=False):
    """One stage's entry in the timings: what the stage sets (rows, steps) and what the clock adds."""

    rows: int
    steps: dict[str, float]  # the list build's own steps, in seconds
    scored: int  # the list build: customers scored, and how fast
    score_rows_per_s: float
    members: dict[str, object]  # the files stage: the members recorded in the lake (part id, rows, already)
    seconds: float
    rows_per_s: float
    peak_memory_mb: float  # the process's peak while the stage ran (Linux)


class PipelineSummary(TypedDict):
    """What ``callwise demo`` writes to ``summary.json`` and prints with ``--json``."""

    customers: int
    seed: int
    stages: dict[str, StageRecord]
    total_seconds: float
    peak_memory_mb: float
    ingest: dict[str, int]  # read, accepted, quarantined
    evaluation: dict[str, dict[str, Any]]  # per model: the headline cross-validation metrics
    list: dict[str, Any]  # the list summary's campaign_id, product_id, date, capacity, listed, eligible
    against_truth: dict[str, Any]
    schedules_against_truth: dict[str, Any] | None
    plan: dict[str, Any]  # the plan summary's solver, gap, expected_calls, capacity_calls
    files: dict[str, str]
    demo_keys: str | None  # the throw-away key ring the run made, if it made one


@dataclass
class StageClock:
    """Wall time, rows and rows/s for each stage, in the order they ran."""

    stages: dict[str, StageRecord] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        record: StageRecord = {}
        stage_peak_memory_mb()  # from here on, the high-water mark is this stage's
        start = time.perf_counter()
        yield record
        seconds = time.perf_counter() - start
        record["seconds"] = round(seconds, 3)
        if record.get("rows"):
            record["rows_per_s"] = round(record["rows"] / seconds) if seconds > 0 else 0
        peak = stage_peak_memory_mb()
        if peak is not None:
            record["peak_memory_mb"] = peak
        self.stages[name] = record

    def total_seconds(self) -> float:
        return round(sum(s["seconds"] for s in self.stages.values()), 3)

    def peak_memory_mb(self) -> float:
        """The whole run's peak: the stages' (their marks are reset, so the process's own would miss earlier ones)."""
        return max([peak_memory_mb(), *(s.get("peak_memory_mb", 0.0) for s in self.stages.values())])


def stage_peak_memory_mb() -> float | None:
    """Peak resident memory since the last call, MB: Linux's high-water mark (VmHWM), reset after reading it.

    What a stage holds from the stages before counts too: it is the process's peak while the stage ran. None
    where the system has no such mark."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")  # 5: reset the high-water mark
    except (OSError, StopIteration, ValueError):
        return None
    return round(peak_kb / 1024, 1)


def peak_memory_mb() -> float:
    """Peak resident memory of this process (and finished children), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def training_frame(
    lake: Lake, horizon_days: int = 30, uplift: bool = False
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Past campaign members with features as of each campaign's start: (X, y, row descriptions).

    ``uplift``: the control members too, ``treated`` among the row descriptions."""
    from callwise.features import materialize, training_set, uplift_training_set

    query = uplift_training_set if uplift else training_set
    frame = materialize(query(lake, horizon_days=horizon_days)).to_pandas()
    frame = frame.sort_values(["campaign_id", "customer_id"], kind="stable").reset_index(drop=True)
    meta = frame[[c for c in META_COLUMNS if c in frame.columns]]
    X = frame.drop(columns=list(meta.columns))
    return X, frame["converted"].astype(int), meta


def train_from_lake(
    lake: Lake, model_name: str = "lightgbm", out_dir: str | Path | None = None, horizon_days: int = 30, seed: int = 0
) -> tuple[Any, dict[str, Any]]:
    """Fit a response model on the lake's past campaigns; save it with a model card when ``out_dir`` is given."""
    from callwise.features.training import TrainingDataError
    from callwise.models import make_model

    X, y, meta = training_frame(lake, horizon_days)
    if y.nunique() < 2:
        raise TrainingDataError("train.one_class")
    model = make_model(model_name, random_state=seed).fit(X, y)
    card = {"data_window": _data_window(meta, horizon_days), "rows": len(X), "positives": int(y.sum())}
    if out_dir is not None:
        from callwise.monitor.stability import build_profile, save_profile

        model.save(out_dir, card=card)
        # The training population's bins and counts, beside the model: what `callwise monitor` compares with.
        save_profile(out_dir, build_profile(X, model.predict_proba(X)[:, 1]))
    return model, card


def train_uplift_from_lake(
    lake: Lake, learner: str = "auto", out_dir: str | Path | None = None, horizon_days: int = 30, seed: int = 0
) -> tuple[Any, dict[str, Any]]:
    """Fit an uplift model on the treatment and control members of the lake's past campaigns.

    The uplift learnt is the effect of being on a past list (treatment: called up to its attempts; control:
    never called). The propensity is known from the randomisation: the member table's treated share (per
    campaign in the card; the pooled share is the one the learners use).
    """
    from callwise.uplift import fit_uplift

    X, y, meta = training_frame(lake, horizon_days, uplift=True)
    treated = meta["treated"].astype(int)
    shares = treated.groupby(meta["campaign_id"]).mean()
    model, selection = fit_uplift(X, y, treated, learner=learner, seed=seed, propensity=float(treated.mean()))
    card = {
        "data_window": _data_window(meta, horizon_days),
        "rows": len(X),
        "treated": int(treated.sum()),
        "control": int((treated == 0).sum()),
        "positives": int(y.sum()),
        "positives_treated": int(y[treated == 1].sum()),
        "positives_control": int(y[treated == 0].sum()),
        "treated_share": {str(k): round(float(v), 6) for k, v in shares.items()},
        "selection": selection,
    }
    if out_dir is not None:
        model.save(out_dir, card=card)
    return model, card


def _data_window(meta: pd.DataFrame, horizon_days: int) -> dict[str, Any]:
    """The campaigns a model learnt from, their first and last start, and what the label means (for the card)."""
    cutoffs = pd.to_datetime(meta["cutoff"]) if "cutoff" in meta else pd.Series(dtype="datetime64[s]")
    return {
        "campaigns": sorted(meta["campaign_id"].unique().tolist()) if "campaign_id" in meta else [],
        "first_cutoff": str(cutoffs.min()) if len(cutoffs) else None,
        "last_cutoff": str(cutoffs.max()) if len(cutoffs) else None,
        "label": f"converted within {horizon_days} days of the campaign start",
    }


def default_list_date(end: date | datetime) -> date:
    """The day after the synthetic history ends: 'today' for the demo's list."""
    day = end.date() if isinstance(end, datetime) else end
    return date.fromordinal(day.toordinal() + 1)


def run_pipeline(
    out: str | Path,
    customers: int = 50_000,
    seed: int = 7,
    capacity_share: float = 0.02,
    evaluate: bool = True,
    langs: tuple[str, ...] = ("zh", "en"),
    threads: int = 2,
    pii: Pii | None = None,
    dialer: str | None = None,
    incremental: bool = False,
) -> PipelineSummary:
    """Run every stage into ``out``; return the summary (also written to ``out/summary.json``).

    ``pii``: the keys; from the settings, or a demo key ring under ``out`` (see :func:`demo_keys`) when unset.
    ``dialer``: also issue the list in an operational database under ``out`` and write its dialer file in that
    format (``csv``, ``xlsx``, ``vicidial``), as ``callwise lists export`` does: the end of the daily path.
    ``incremental``: ingest as a bank does every day. The lake first gets the history up to the last day (stage
    ``history``, not part of the daily path: the lake holds it already), then ``ingest`` appends that day's files
    (:func:`callwise.synth.daily.split_last_day`). The lake ends the same as with one ingest of everything.
    """
    from callwise.demo import demo_keys
    from callwise.ingest import ingest_directory
    from callwise.lists.build import build_list
    from callwise.lists.campaign import Campaign
    from callwise.lists.output import write_list
    from callwise.results.record import record_members
    from callwise.synth import synthesize
    from callwise.synth.against_truth import compare_schedules_with_truth, compare_with_truth

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
    day_files = bank
    if incremental:
        from callwise.synth.daily import split_last_day

        end = date.fromisoformat(str(manifest["end"]))
        with clock.stage("history") as s:
            split_last_day(bank, out / "history", out / "day", end, seed=seed)
            s["rows"] = ingest_directory(out / "history", lake, out / "quarantine", pii=pii).to_dict()["read"]
        day_files = out / "day"
    with clock.stage("ingest") as s:
        ingest = ingest_directory(day_files, lake, out / "quarantine", pii=pii, append=incremental).to_dict()
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
    with clock.stage("files") as s:
        files = write_list(result, out / "lists" / campaign.campaign_id)
        s["rows"] = len(result.calls)
        s["members"] = record_members(lake, result).to_dict()  # the experiment, control included, in the lake
    if dialer is not None:
        files["dialer"] = str(_dialer_file(out, lake, result, campaign, pii, dialer, clock))
    truth = compare_with_truth(result, bank / "_truth", seed=seed)
    schedules = compare_schedules_with_truth(result, bank / "_truth") if evaluate else None
    if evaluate:
        from callwise.report import write_list_reports

        reports.update(write_list_reports(result, out / "report", truth, langs))

    summary: PipelineSummary = {
        "customers": customers,
        "seed": seed,
        "stages": clock.stages,
        "total_seconds": clock.total_seconds(),
        "peak_memory_mb": clock.peak_memory_mb(),
        "ingest": {k: ingest[k] for k in ("read", "accepted", "quarantined")},
        "evaluation": {name: _headline(m) for name, m in evaluation.items()},
        "list": {k: result.summary[k] for k in ("campaign_id", "product_id", "date", "capacity", "listed", "eligible")},
        "against_truth": truth,
        "schedules_against_truth": schedules,
        "plan": {k: result.summary["plan"][k] for k in ("solver", "gap", "expected_calls", "capacity_calls")},
        "files": {
            "lake": str(lake_dir),
            "list": files["list_csv"],
            "summary": files["summary"],
            **({"dialer": files["dialer"]} if "dialer" in files else {}),
            **reports,
        },
        "demo_keys": None if demo_key_file is None else str(demo_key_file),
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


# The stages a bank runs every day; synthesising is the test bench's, training is weekly.
DAILY_STAGES = ("ingest", "list", "files", "dialer")


def _dialer_file(out: Path, lake: Lake, result: Any, campaign: Any, pii: Pii, fmt: str, clock: StageClock) -> Path:
    """Issue the list in a fresh operational database and write its dialer file (real numbers, audited).

    The database first gets the lake's customers (``callwise customers sync``, stage ``ops_sync``): a bank's
    operational database holds them already, so that stage is not part of the daily path.
    """
    from callwise.ops.customers import sync_customers
    from callwise.ops.db import make_engine, session_factory, transaction
    from callwise.ops.dialer_export import export_for_dialer
    from callwise.ops.lists import issue_list
    from callwise.ops.migrate import upgrade
    from callwise.ops.models import Campaign
    from callwise.ops.users import Principal
    from callwise.results.record import campaign_start
    from callwise.security.rbac import Permission

    engine = make_engine(f"sqlite:///{out / 'ops' / 'callwise.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with clock.stage("ops_sync") as s:
        s["rows"] = sync_customers(factory, lake).read
    with transaction(factory) as session:
        spec = campaign.model_dump(mode="json")
        names = {k: spec[k] for k in ("campaign_id", "name", "product_id")}
        session.add(Campaign(**names, spec=spec, created_by="pipeline"))
    principal = Principal("pipeline", "machine", frozenset({Permission.PII_READ}))
    campaign_id = result.summary["campaign_id"]
    with clock.stage("dialer") as s:
        with transaction(factory) as session:
            issued = issue_list(
                session,
                campaign_id,
                result.calls,
                result.summary,
                "pipeline",
                None,
                "Asia/Shanghai",
                members=result.members,
                assigned_at=pd.Timestamp(campaign_start(campaign)).tz_localize("Asia/Shanghai").to_pydatetime(),
            )
            path = out / "lists" / campaign_id / f"dialer_{issued.list_id}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
            done = export_for_dialer(session, pii, principal, issued.list_id, fmt, path)
        s["rows"] = done.rows
    engine.dispose()
    return done.path


def _evaluate(lake: Lake, report_dir: Path, langs: tuple[str, ...], seed: int) -> tuple[dict, dict[str, str]]:
    """5-fold CV of the response model and the scorecard on past campaigns, with bilingual reports."""
    from callwise.models import has_points_table, make_model
    from callwise.models.evaluation import cross_validate
    from callwise.report import render_model_report

    X, y, _ = training_frame(lake)
    report_dir.mkdir(parents=True, exist_ok=True)
    results, reports = {}, {}
    for name in ("lightgbm", "scorecard"):
        results[name] = cross_validate(name, X, y, folds=5, seed=seed)
        fitted = make_model(name, random_state=seed).fit(X, y) if has_points_table(name) else None  # for its points
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
