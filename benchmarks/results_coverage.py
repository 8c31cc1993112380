"""Do the campaign-results intervals cover the truth, and how much does adjustment narrow them?

One synthetic bank is made; then, campaign after campaign, a random product and a random set of its customers
(a few thousand to tens of thousands) are split by ``callwise.experiments.assign_groups`` (control share 0.1,
stratified by a score = the knowable probability plus noise), and outcomes are drawn from the bank's truth:
Y ~ Bernoulli(p_call) for treatment, Bernoulli(p_nocall) for control, each conversion's amount the product's value
times a mean-one lognormal. The truth of a campaign is Σ over its treatment members of (p_call − p_nocall)
(revenue: that times the product's value).

Reported per estimator (headline = what the report shows: Newcombe for conversions, rate × amount for revenue):
the 95% interval's coverage of the truth and its mean width, for incremental conversions
and revenue. callwise's CUPED uses what a bank knows before the campaign (score, past purchases); the *oracle*
CUPED uses each member's true p_nocall as its covariate, the best any pre-campaign covariate could do, which is the
honest ceiling of the width reduction (a Bernoulli outcome keeps most of its variance whatever is known).
Writes benchmarks/results/results_coverage.json.
Usage: python benchmarks/results_coverage.py [campaigns] [bank customers]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _bench import write_result
from callwise import __version__
from callwise.experiments import assign_groups, campaign_seed
from callwise.results.adjust import adjusted_difference, strata_codes
from callwise.results.effect import adjusted, itt
from callwise.results.intervals import z_value
from callwise.synth import synthesize
from callwise.synth.activity import PRODUCTS

ESTIMATORS = (
    "headline",
    "welch",
    "unadjusted",
    "post_stratified",
    "cuped",
    "cuped_stratified",
    "oracle",
    "oracle_stratified",
)


def _bank(root: Path, customers: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    synthesize(root, customers=customers, seed=seed)
    truth = pd.read_parquet(root / "_truth" / "conversion.parquet").set_index("customer_id")
    start = pd.Timestamp(json.loads((root / "_truth" / "meta.json").read_text(encoding="utf-8"))["list_date"])
    conv = pd.read_parquet(root / "conversions.parquet")
    recent = conv[(conv["ts"] < start) & (conv["ts"] >= start - pd.Timedelta(days=365))]
    past = recent.groupby("customer_id").size().reindex(truth.index, fill_value=0)
    return truth, past


def _campaign(k: int, truth: pd.DataFrame, past: pd.Series, rng: np.random.Generator) -> dict:
    product, *_rest = PRODUCTS[rng.integers(len(PRODUCTS))]
    value = float({p[0]: p[4] for p in PRODUCTS}[product])
    n_bank = len(truth)
    low, high = min(3000, n_bank // 2), min(30_000, n_bank)
    size = int(np.exp(rng.uniform(np.log(low), np.log(high))))
    rows = np.sort(rng.choice(n_bank, size, replace=False))
    ids = truth.index[rows]
    p_call = truth[f"p_call__{product}"].to_numpy(dtype=float)[rows]
    p_nocall = truth[f"p_nocall__{product}"].to_numpy(dtype=float)[rows]
    knowable = truth[f"p_knowable__{product}"].to_numpy(dtype=float)[rows]
    score = knowable + rng.normal(0, 0.5 * knowable.std(), size)
    groups = assign_groups(pd.Series(ids, dtype="str"), score, campaign_seed(f"coverage-{k}", 0), 0.1)
    treat = (groups["group"] == "treatment").to_numpy()
    converted = (rng.random(size) < np.where(treat, p_call, p_nocall)).astype(float)
    amount = value * rng.lognormal(-0.18, 0.6, size)  # mean one: exp(−σ²/2) with σ = 0.6
    revenue = converted * amount
    frame = pd.DataFrame(
        {
            "group": groups["group"].to_numpy(),
            "score": score,
            "score_decile": groups["score_decile"].to_numpy(),
            "converted": converted,
            "revenue": revenue,
            "past_purchases": past.to_numpy()[rows],
        }
    )
    true_conv = float((p_call - p_nocall)[treat].sum())
    truths = {"conversions": true_conv, "revenue": value * true_conv}
    headline = itt(frame)
    adj = adjusted(frame)["variants"]
    n_t = int(treat.sum())
    z = z_value(0.05)
    strata = strata_codes(frame["score_decile"])
    out: dict = {"product": product, "size": size, "truth": truths, "intervals": {}}
    inc = headline["incremental_conversions"]
    rev, welch = headline["revenue"]["incremental"], headline["revenue"]["incremental_welch"]
    out["intervals"]["headline"] = {"conversions": (inc["low"], inc["high"]), "revenue": (rev["low"], rev["high"])}
    out["intervals"]["welch"] = {"revenue": (welch["low"], welch["high"])}
    for name in ("unadjusted", "post_stratified", "cuped", "cuped_stratified"):
        out["intervals"][name] = {
            o: (adj[name][o]["incremental"]["low"], adj[name][o]["incremental"]["high"]) for o in truths
        }
    for name, s in (("oracle", None), ("oracle_stratified", strata)):
        out["intervals"][name] = {}
        for o, y in (("conversions", converted), ("revenue", revenue)):
            fit = adjusted_difference(y, treat, p_nocall[:, None], s)
            assert fit is not None
            out["intervals"][name][o] = (n_t * (fit.estimate - z * fit.se), n_t * (fit.estimate + z * fit.se))
    ctrl = ~treat
    y_c, x_c = converted[ctrl], p_nocall[ctrl]
    slope = np.cov(x_c, y_c)[0, 1] / x_c.var(ddof=1)
    out["oracle_r2_control"] = 1 - np.var(y_c - slope * x_c) / np.var(y_c)
    return out


def _summary(runs: list[dict]) -> dict:
    figures: dict = {}
    for outcome in ("conversions", "revenue"):
        base = np.array(
            [r["intervals"]["unadjusted"][outcome][1] - r["intervals"]["unadjusted"][outcome][0] for r in runs]
        )
        block = {}
        for name in ESTIMATORS:
            if outcome not in runs[0]["intervals"].get(name, {}):
                continue
            lo = np.array([r["intervals"][name][outcome][0] for r in runs])
            hi = np.array([r["intervals"][name][outcome][1] for r in runs])
            truth = np.array([r["truth"][outcome] for r in runs])
            width = hi - lo
            block[name] = {
                "coverage": round(float(np.mean((lo <= truth) & (truth <= hi))), 4),
                "mean_width": round(float(width.mean()), 2),
                "width_reduction_vs_unadjusted": round(float(1 - width.mean() / base.mean()), 4),
                "median_per_campaign_reduction": round(float(np.median(1 - width / base)), 4),
            }
        figures[outcome] = block
    return figures


def main(campaigns: int = 200, customers: int = 50_000, seed: int = 7) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="callwise-coverage-") as tmp:
        truth, past = _bank(Path(tmp) / "bank", customers, seed)
    rng = np.random.default_rng(seed + 1)
    runs = [_campaign(k, truth, past, rng) for k in range(campaigns)]
    r2 = pd.DataFrame({"product": [r["product"] for r in runs], "r2": [r["oracle_r2_control"] for r in runs]})
    by_product = r2.groupby("product")["r2"].mean()
    mean_r2 = float(r2["r2"].mean())
    output = {
        "benchmark": "results_coverage",
        "campaigns": campaigns,
        "bank_customers": customers,
        "members_per_campaign": {"min": min(r["size"] for r in runs), "max": max(r["size"] for r in runs)},
        "control_share": 0.1,
        "interval": 0.95,
        "figures": _summary(runs),
        "oracle_ceiling": {
            "mean_r2_of_true_p_nocall_in_control": round(mean_r2, 4),
            "r2_by_product": {k: round(float(v), 4) for k, v in by_product.items()},
            "max_width_reduction_1_minus_sqrt_1_minus_r2": round(1 - float(np.sqrt(1 - mean_r2)), 4),
        },
        "goal": {"coverage": 0.93, "width_reduction": 0.15},
        "seconds": round(time.perf_counter() - started, 1),
        "callwise": __version__,
    }
    write_result("results_coverage", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=2))
