"""Model health: false alarms of the decay rule on a no-drift bank, and how fast it flags a drift scenario.

Each monitoring run trains a response model (logistic) on a pre-period of an independent synthetic population
(``callwise.monitor.simulate``), states its validation AUC on held-out rows as the model card does, then checks
12 weekly campaigns. No-drift runs: any flag is a false alarm (goal: at most 5% of runs). Drift runs: the
population and its relation to conversion shift from month 1 (week 4); the figure is the weekly check at which
the shift is flagged (goal: within 2), at full and at half strength.
Writes benchmarks/results/model_health.json.
Usage: python benchmarks/model_health.py [null_runs] [drift_runs] [weekly] [train_rows]
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from scipy import stats

from _bench import write_result
from callwise import __version__
from callwise.monitor.simulate import Scenario, monitoring_run

WEEKS = 12
DRIFT_MONTH = 1


def _upper(k: int, n: int, level: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of a rate of k in n."""
    return 1.0 if k == n else float(stats.beta.ppf(level, k + 1, n - k))


def main(null_runs: int = 100, drift_runs: int = 20, weekly: int = 3_000, train_rows: int = 20_000) -> dict:
    start = time.perf_counter()
    null = [monitoring_run(s, train_rows=train_rows, weekly=weekly, weeks=WEEKS) for s in range(null_runs)]
    alarms = sum(r["false_alarm"] for r in null)
    drift = {}
    for strength in (1.0, 0.5):
        runs = [
            monitoring_run(
                10_000 + s, Scenario(DRIFT_MONTH, strength), train_rows=train_rows, weekly=weekly, weeks=WEEKS
            )
            for s in range(drift_runs)
        ]
        checks = [r["checks_to_flag"] for r in runs]
        found = [c for c in checks if c is not None]
        drift[str(strength)] = {
            "runs": drift_runs,
            "flagged": len(found),
            "within_two_checks": sum(c <= 2 for c in found),
            "checks_to_flag": {str(k): checks.count(k) for k in sorted(set(found))},
            "false_alarm_before_drift": sum(r["false_alarm"] for r in runs),
            "reasons_first_flag": {
                reason: sum(reason in r["reasons"] for r in runs) for reason in ("drift", "auc_below_card")
            },
        }
    output = {
        "benchmark": "model_health",
        "weeks_per_run": WEEKS,
        "weekly_members": weekly,
        "train_rows": train_rows,
        "drift_week": DRIFT_MONTH * 4,
        "no_drift": {
            "runs": null_runs,
            "false_alarm_runs": alarms,
            "false_alarm_rate": round(alarms / null_runs, 4),
            "false_alarm_rate_upper95": round(_upper(alarms, null_runs), 4),
            "goal": 0.05,
            "mean_card_auc": round(float(np.mean([r["card_auc"] for r in null])), 4),
        },
        "drift": drift,
        "seconds": round(time.perf_counter() - start, 1),
        "callwise": __version__,
    }
    write_result("model_health", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:5]]), indent=2))
