"""The four learners: how each fits its boosters, and how it reads the uplift and its reasons from them.

- **T**: one outcome model per group; uplift = p(buy | treated model) − p(buy | control model).
- **S**: one outcome model with the treatment as a feature; uplift = p(x, treated) − p(x, control).
- **X** (Künzel et al. 2019): the T-learner's models impute each row's effect from the *other* group's model
  (treated: y − μ₀(x); control: μ₁(x) − y), a regressor per group learns it, blended by the propensity e(x):
  τ(x) = e(x) τ₀(x) + (1 − e(x)) τ₁(x).
- **DR** (Kennedy 2023): a regressor on the doubly robust pseudo-outcome
  μ₁ − μ₀ + t (y − μ₁) / e − (1 − t)(y − μ₀) / (1 − e), with μ fitted out of fold (cross-fitting).

T and S give p_treated and p_control from their outcome models. X and DR estimate the uplift directly; their
p_control is the control outcome model and p_treated = p_control + uplift (clipped to [0, 1]).

Reasons: the outcome models explain log-odds, so a feature's share of the uplift is its SHAP value on each
model times that model's slope p (1 − p), treated minus control (first order, in probability points); the
regressors of X and DR explain the uplift itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.model_selection import StratifiedKFold

from callwise.uplift import boosters
from callwise.uplift.base import FIT_THREADS, Core, UpliftModel
from callwise.uplift.defaults import CROSS_FIT_FOLDS, EFFECT, INTERVAL_FOLDS

TREATED_COLUMN = "__treated__"  # the S-learner's extra feature (never a reason)


class TLearner(UpliftModel):
    name = "t"
    roles = ("treated", "control")

    def _fit_core(self, X: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, seed: int) -> Core:
        settings = self._settings()
        treated, control = t == 1, t == 0
        return {
            "treated": self._train(X[treated], y[treated], settings, seed),
            "control": self._train(X[control], y[control], settings, seed),
        }

    def _outcomes(self, core: Core, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            self._probability(core["treated"], X),
            self._probability(core["control"], X),
        )

    def _contributions(self, core: Core, X: np.ndarray) -> np.ndarray:
        p_treated, p_control = self._outcomes(core, X)
        slope_t, slope_c = p_treated * (1 - p_treated), p_control * (1 - p_control)
        return slope_t[:, None] * boosters.shap(core["treated"], X, self.n_jobs) - slope_c[:, None] * boosters.shap(
            core["control"], X, self.n_jobs
        )


class SLearner(UpliftModel):
    name = "s"
    roles = ("outcome",)

    def _with_treatment(self, X: np.ndarray, value: float | np.ndarray) -> np.ndarray:
        return np.column_stack([X, np.broadcast_to(np.asarray(value, dtype=np.float64), (len(X),))])

    def _fit_core(self, X: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, seed: int) -> Core:
        names = [*self.feature_names_in_, TREATED_COLUMN]
        return {
            "outcome": boosters.train(
                self._with_treatment(X, t),
                y,
                self._settings(),
                regression=False,
                names=names,
                categorical=self._categorical(),
                seed=seed,
                threads=FIT_THREADS,
            )
        }

    def _outcomes(self, core: Core, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        matrix = self._with_treatment(X, 1.0)  # one copy, its treatment column set to 1 and then to 0
        p_treated = self._probability(core["outcome"], matrix)
        matrix[:, -1] = 0.0
        return p_treated, self._probability(core["outcome"], matrix)

    def _contributions(self, core: Core, X: np.ndarray) -> np.ndarray:
        p_treated, p_control = self._outcomes(core, X)
        shap_t = boosters.shap(core["outcome"], self._with_treatment(X, 1.0), self.n_jobs)[:, :-1]
        shap_c = boosters.shap(core["outcome"], self._with_treatment(X, 0.0), self.n_jobs)[:, :-1]
        return (p_treated * (1 - p_treated))[:, None] * shap_t - (p_control * (1 - p_control))[:, None] * shap_c


class _EffectLearner(UpliftModel):
    """A learner with a final stage that regresses the uplift itself (X, DR): it has settings for that stage too."""

    def __init__(
        self,
        outcome_params: dict[str, Any] | None = None,
        effect_params: dict[str, Any] | None = None,
        interval_folds: int = INTERVAL_FOLDS,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        super().__init__(outcome_params, interval_folds, random_state, n_jobs)
        self.effect_params = effect_params

    def _effect_settings(self) -> dict[str, Any]:
        return dict(EFFECT[self.name] if self.effect_params is None else self.effect_params)

    def _outcomes(self, core: Core, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p_control = self._probability(core["control"], X)
        return np.clip(p_control + self._uplift(core, X), 0.0, 1.0), p_control


class XLearner(_EffectLearner):
    name = "x"
    roles = ("treated", "control", "effect_treated", "effect_control")
    effect_roles: ClassVar[tuple[str, str]] = ("effect_treated", "effect_control")

    def _fit_core(self, X: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, seed: int) -> Core:
        settings, effect = self._settings(), self._effect_settings()
        treated, control = t == 1, t == 0
        mu1 = self._train(X[treated], y[treated], settings, seed)
        mu0 = self._train(X[control], y[control], settings, seed)
        d1 = y[treated] - boosters.probability(mu0, X[treated], FIT_THREADS)
        d0 = boosters.probability(mu1, X[control], FIT_THREADS) - y[control]
        return {
            "treated": mu1,
            "control": mu0,
            "effect_treated": self._train(X[treated], d1, effect, seed, regression=True),
            "effect_control": self._train(X[control], d0, effect, seed, regression=True),
        }

    def _uplift(self, core: Core, X: np.ndarray) -> np.ndarray:
        e = self._propensity(X)
        tau1 = self._raw(core["effect_treated"], X)
        tau0 = self._raw(core["effect_control"], X)
        return np.asarray(e * tau0 + (1 - e) * tau1)

    def _contributions(self, core: Core, X: np.ndarray) -> np.ndarray:
        e = self._propensity(X)[:, None]
        return np.asarray(
            e * boosters.shap(core["effect_control"], X, self.n_jobs)
            + (1 - e) * boosters.shap(core["effect_treated"], X, self.n_jobs)
        )

    def _gain(self, core: Core) -> np.ndarray:
        return np.mean([boosters.gain_share(core[role]) for role in self.effect_roles], axis=0)


class DRLearner(_EffectLearner):
    name = "dr"
    roles = ("control", "effect")

    def _fit_core(self, X: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, seed: int) -> Core:
        settings = self._settings()
        mu1, mu0 = np.empty(len(y)), np.empty(len(y))
        folds = StratifiedKFold(CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
        for fit_rows, held_out in folds.split(X, 2 * t + y):
            for value, out in ((1, mu1), (0, mu0)):
                rows = fit_rows[t[fit_rows] == value]
                out[held_out] = boosters.probability(
                    self._train(X[rows], y[rows], settings, seed), X[held_out], FIT_THREADS
                )
        pseudo = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
        control = t == 0
        return {
            "control": self._train(X[control], y[control], settings, seed),
            "effect": self._train(X, pseudo, self._effect_settings(), seed, regression=True),
        }

    def _uplift(self, core: Core, X: np.ndarray) -> np.ndarray:
        return self._raw(core["effect"], X)

    def _contributions(self, core: Core, X: np.ndarray) -> np.ndarray:
        return boosters.shap(core["effect"], X, self.n_jobs)

    def _gain(self, core: Core) -> np.ndarray:
        return boosters.gain_share(core["effect"])


LEARNER_CLASSES: dict[str, type[UpliftModel]] = {cls.name: cls for cls in (TLearner, SLearner, XLearner, DRLearner)}
LEARNERS: tuple[str, ...] = tuple(LEARNER_CLASSES)
