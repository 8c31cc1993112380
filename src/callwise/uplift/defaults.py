"""The LightGBM settings of every uplift learner, in one place so they can be tuned.

Each dict holds scikit-learn-style LightGBM names (``num_leaves``, ``min_child_samples``, ``reg_lambda``,
``n_estimators``, ``learning_rate`` …) as ``LGBMClassifier``/``LGBMRegressor`` take them; the learners add the
fixed ones (objective, seed, threads, determinism). ``outcome`` is the model of p(buy) (T, S and the first stage
of X and DR); ``effect`` the final-stage regressor of the uplift itself (X and DR); ``propensity`` the model of
p(treated | X), fitted only when the data shows that assignment depends on X.
"""

from __future__ import annotations

from typing import Any

# Tuned by 3-fold cross-validated Qini on the Starbucks training file only (docs/decisions/0039-uplift-defaults.md).
# Buyers are rare and the uplift is a small difference of two rates, so the trees are shallow and every leaf must
# hold about ten buyers' worth of information: ``min_child_weight`` bounds a leaf's hessian, Σ p (1 − p), which
# scales with the buying rate (≈ 850 rows at 1.2 %, ≈ 60 rows at 15 %), where a row count would not. No bagging:
# a learner's model then depends on its data only, not on the seed.
_OUTCOME: dict[str, Any] = {
    "n_estimators": 150,
    "learning_rate": 0.04,
    "num_leaves": 7,
    "min_child_samples": 50,
    "min_child_weight": 10.0,
    "reg_lambda": 5.0,
}
# The effect regressors fit noisy imputed effects (hessian 1 per row): their leaves need many rows.
_EFFECT: dict[str, Any] = {
    "n_estimators": 150,
    "learning_rate": 0.04,
    "num_leaves": 7,
    "min_child_samples": 1000,
    "reg_lambda": 5.0,
}

OUTCOME: dict[str, dict[str, Any]] = {
    "t": dict(_OUTCOME),
    "s": dict(_OUTCOME),
    "x": dict(_OUTCOME),
    "dr": dict(_OUTCOME),
}
EFFECT: dict[str, dict[str, Any]] = {"x": dict(_EFFECT), "dr": dict(_EFFECT)}
PROPENSITY: dict[str, Any] = {"n_estimators": 50, "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 100}

# Out-of-fold folds of the DR learner's first stage (its pseudo-outcomes must come from models that never saw the row).
CROSS_FIT_FOLDS = 2
# Members behind ``uplift_interval``, each fitted on one of this many disjoint folds (0: no interval).
INTERVAL_FOLDS = 3
# An estimated propensity is clipped to this range, so no row's weight explodes.
PROPENSITY_CLIP = (0.05, 0.95)
# Balance check: assignment depends on X when a feature's standardised mean difference between the groups is
# both large (> SMD_LIMIT) and beyond chance (|z| > Z_LIMIT).
SMD_LIMIT = 0.1
Z_LIMIT = 4.0
