"""A targeting policy scored on a randomised experiment: who it would treat, and what that earned.

The policy treats a customer where the expected incremental value is positive: uplift × value − cost > 0. On an
experiment, the selected customers who were treated and those who were not estimate what treating the selection
adds: the incremental response rate (IRR) is their difference in buying rate, and the net incremental revenue
(NIR) is value × treated buyers − cost × treated customers − value × control buyers, both counted among the
selected only (the Starbucks promotion exercise scores a policy this way; with equal groups, NIR ≈ treated
selected × (value × IRR − cost)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from callwise.uplift.metrics import check_experiment


def promote(uplift: Any, value: float, cost: float) -> np.ndarray:
    """Boolean mask: where the predicted uplift × ``value`` − ``cost`` is positive."""
    return np.asarray(uplift, dtype=np.float64) * value - cost > 0


def score_policy(y: Any, treatment: Any, selected: Any, value: float, cost: float) -> dict[str, Any]:
    """IRR and NIR of treating the ``selected`` rows, measured on the experiment's own groups (JSON-ready)."""
    y_arr, t_arr = check_experiment(y, treatment, selected)  # one length for all three
    chosen = np.asarray(selected, dtype=bool)
    treated, control = chosen & (t_arr == 1), chosen & (t_arr == 0)
    n_treated, n_control = int(treated.sum()), int(control.sum())
    buyers_treated, buyers_control = int(y_arr[treated].sum()), int(y_arr[control].sum())
    rate_treated = buyers_treated / n_treated if n_treated else 0.0
    rate_control = buyers_control / n_control if n_control else 0.0
    return {
        "selected": int(chosen.sum()),
        "share": round(float(chosen.mean()), 6) if len(chosen) else 0.0,
        "treated": n_treated,
        "control": n_control,
        "buyers_treated": buyers_treated,
        "buyers_control": buyers_control,
        "irr": round(rate_treated - rate_control, 6),
        "nir": round(value * buyers_treated - cost * n_treated - value * buyers_control, 2),
    }
