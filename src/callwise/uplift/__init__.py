"""Uplift models: who buys *because* of the treatment (a call, a promotion), learned from a randomised experiment.

Uplift = p(buy | treated) − p(buy | control) per customer. Four learners on LightGBM behind one
scikit-learn-style interface (:class:`UpliftModel`), Qini/AUUC evaluation (:mod:`callwise.uplift.metrics`), a
default (``auto``) that picks by cross-validated Qini, and saving without pickle.
"""

from __future__ import annotations

from callwise.uplift.base import UpliftModel
from callwise.uplift.errors import UpliftFileError, UpliftInputError
from callwise.uplift.learners import LEARNERS, DRLearner, SLearner, TLearner, XLearner
from callwise.uplift.metrics import evaluate_uplift
from callwise.uplift.persist import is_uplift_model, load_uplift
from callwise.uplift.select import AUTO, CHOICES, cross_validate_uplift, fit_uplift, make_uplift

__all__ = [
    "AUTO",
    "CHOICES",
    "LEARNERS",
    "DRLearner",
    "SLearner",
    "TLearner",
    "UpliftFileError",
    "UpliftInputError",
    "UpliftModel",
    "XLearner",
    "cross_validate_uplift",
    "evaluate_uplift",
    "fit_uplift",
    "is_uplift_model",
    "load_uplift",
    "make_uplift",
]
