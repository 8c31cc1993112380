"""Daily looks and script arms: false alarms, power and winners over simulated campaigns.

Each simulated campaign has ``members`` members (10 % control), a 30-day window looked at every day, and members
who differ: each has a 30-day conversion probability drawn from Beta(2, 48) (mean 4 %), and a converting member's
day is 30 · Beta(0.8, 2) (most conversions early, some late). The counts go through the same code the campaign
results use (``daily_counts`` and ``always_valid_counts``; the frame checks of ``always_valid`` are left out).

- no effect: the calls change nothing. False alarms of the mixture SPRT (ever shown within 30 looks, goal ≤ 5 %)
  beside the naive z-test repeated every day and the same z-test looked at once, on the last day;
- true effect: the called members' probability × 1.3 (+30 % relative). Power and the mean day of detection, and
  the coverage of the hazard-ratio confidence sequence (true ratio ≈ 1.3) on a subset;
- prior scales 0.1 / 0.25 / 0.5 on the same campaigns (the default is 0.25);
- arms (three scripts): Holm's family-wise error when no arm differs (arms equal, calls +30 % over control; and
  everything null), and how often the truly best arm is named (lifts +20 %, +30 %, +60 %), plus its mean
  Thompson share.

Writes benchmarks/results/results_daily_looks.json.
Usage: python benchmarks/results_daily_looks.py [simulations] [members]
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from _bench import write_result
from callwise import __version__
from callwise.results.arms import compare_arms, thompson_shares
from callwise.results.sequential import DEFAULT_PRIOR_SCALE, always_valid_counts, daily_counts

WINDOW = 30
CONTROL_SHARE = 0.10
SCALES = (0.1, DEFAULT_PRIOR_SCALE, 0.5)


def _campaign(rng: np.random.Generator, members: int, lift: float) -> tuple[np.ndarray, np.ndarray]:
    treated = rng.random(members) >= CONTROL_SHARE
    p = rng.beta(2, 48, members) * np.where(treated, lift, 1.0)
    converts = rng.random(members) < p
    day = np.where(converts, WINDOW * rng.beta(0.8, 2, members), np.nan)
    return treated, day


def _looks(simulations: int, members: int, lift: float, rng: np.random.Generator, coverage_runs: int) -> dict:
    shown = {s: np.zeros(simulations, dtype=bool) for s in SCALES}
    first = {s: np.full(simulations, np.nan) for s in SCALES}
    naive_any = np.zeros(simulations, dtype=bool)
    naive_last = np.zeros(simulations, dtype=bool)
    conversions = np.zeros(simulations)
    covered, runs = 0, 0
    for i in range(simulations):
        treated, day = _campaign(rng, members, lift)
        counts = daily_counts(treated, day, WINDOW)
        conversions[i] = counts.conversions_treatment.sum() + counts.conversions_control.sum()
        for scale in SCALES:
            with_cs = scale == DEFAULT_PRIOR_SCALE and i < coverage_runs
            result = always_valid_counts(counts, alpha=0.05, prior_scale=scale, confidence=with_cs)
            shown[scale][i] = result["first_day_shown"] is not None
            first[scale][i] = np.nan if result["first_day_shown"] is None else result["first_day_shown"]
            if with_cs:
                daily = result["daily"]
                truth = lift
                runs += 1
                covered += not any(daily["cs_empty"]) and all(
                    (lo is None or lo <= truth) and (hi is None or hi >= truth)
                    for lo, hi in zip(daily["cs_low"], daily["cs_high"], strict=True)
                )
            if scale == DEFAULT_PRIOR_SCALE:
                naive_any[i] = any(result["daily"]["naive_significant"])
                naive_last[i] = result["daily"]["naive_significant"][-1]
    by_scale = {
        str(scale): {
            "rate_shown_within_30_looks": round(float(shown[scale].mean()), 4),
            "mean_day_first_shown": None if not shown[scale].any() else round(float(np.nanmean(first[scale])), 2),
        }
        for scale in SCALES
    }
    return {
        "lift_relative": round(lift - 1, 2),
        "mean_conversions": round(float(conversions.mean()), 1),
        "sequential": by_scale[str(DEFAULT_PRIOR_SCALE)],
        "naive_repeated_daily": {"rate_significant_at_any_look": round(float(naive_any.mean()), 4)},
        "naive_single_look_day_30": {"rate_significant": round(float(naive_last.mean()), 4)},
        "by_prior_scale": by_scale,
        "confidence_sequence": {
            "runs": runs,
            "true_hazard_ratio_approx": lift,
            "covered_at_every_look": None if not runs else round(covered / runs, 4),
        },
    }


def _arms_frame(rng: np.random.Generator, members: int, rates: dict[str | None, float]) -> dict:
    treated = rng.random(members) >= CONTROL_SHARE
    names = [name for name in rates if name is not None]
    arm = np.where(treated, np.array(names, dtype=object)[rng.integers(0, len(names), members)], None)
    p = np.full(members, rates[None])
    for name in names:
        p[arm == name] = rates[name]
    converted = (rng.random(members) < p).astype(np.int64)
    return {"group": np.where(treated, "treatment", "control"), "arm": arm, "converted": converted}


def _arms(simulations: int, members: int, rng: np.random.Generator) -> dict:
    base = 0.04
    scenarios = {
        "arms_equal_calls_work": {None: base, "A": base * 1.3, "B": base * 1.3, "C": base * 1.3},
        "all_null": {None: base, "A": base, "B": base, "C": base},
        "best_arm_C": {None: base, "A": base * 1.2, "B": base * 1.3, "C": base * 1.6},
    }
    out = {}
    for name, rates in scenarios.items():
        any_false, winners, best_named, wrong_named, share_best = 0, 0, 0, 0, []
        for i in range(simulations):
            frame = _arms_frame(rng, members, rates)
            result = compare_arms(frame, alpha=0.05)
            tests = result["vs_control"] + result["pairs"]
            true_null = [
                t for t in tests if np.isclose(rates[None if t["other"] == "control" else t["other"]], rates[t["arm"]])
            ]
            any_false += any(t["significant"] for t in true_null)
            winners += result["winner"] is not None
            best_named += result["winner"] == "C" and name == "best_arm_C"
            wrong_named += result["winner"] is not None and (name != "best_arm_C" or result["winner"] != "C")
            if name == "best_arm_C" and i < min(simulations, 200):
                share_best.append(thompson_shares(frame, CONTROL_SHARE, seed=i)["C"] / (1 - CONTROL_SHARE))
        out[name] = {
            "rates": {("control" if k is None else k): round(v, 4) for k, v in rates.items()},
            "familywise_error_true_nulls": round(any_false / simulations, 4),
            "winner_named": round(winners / simulations, 4),
            "wrong_winner_named": round(wrong_named / simulations, 4),
        }
        if name == "best_arm_C":
            out[name]["best_arm_named"] = round(best_named / simulations, 4)
            out[name]["mean_thompson_share_of_best_arm_in_called_part"] = round(float(np.mean(share_best)), 4)
    return out


def main(simulations: int = 1000, members: int = 20_000, seed: int = 13) -> dict:
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    null = _looks(simulations, members, 1.0, rng, coverage_runs=0)
    effect = _looks(simulations, members, 1.3, rng, coverage_runs=min(simulations, 200))
    looks_seconds = time.perf_counter() - start
    start = time.perf_counter()
    arms = _arms(simulations, members, rng)
    arms_seconds = time.perf_counter() - start
    output = {
        "benchmark": "results_daily_looks",
        "simulations": simulations,
        "members": members,
        "control_share": CONTROL_SHARE,
        "window_days": WINDOW,
        "looks": WINDOW,
        "alpha": 0.05,
        "prior_scale": DEFAULT_PRIOR_SCALE,
        "no_effect": null,
        "true_effect": effect,
        "arms": arms,
        "seconds": {"daily_looks": round(looks_seconds, 1), "arms": round(arms_seconds, 1)},
        "callwise": __version__,
    }
    write_result("results_daily_looks", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=2))
