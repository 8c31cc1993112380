"""Best time to call: p(answer) per customer and hour-of-week, by empirical-Bayes shrinkage.

Global → segment → customer, inside legal hours only; evaluated on held-out attempts against the
global-rate and segment-rate baselines.
"""

from callwise.timing.fileformat import AnswerModelFileError
from callwise.timing.fit import fit_answer_model, fit_from_lake
from callwise.timing.hours import TimingError, default_legal_hours
from callwise.timing.model import AnswerModel
from callwise.timing.store import load_answer_model

__all__ = [
    "AnswerModel",
    "AnswerModelFileError",
    "TimingError",
    "default_legal_hours",
    "fit_answer_model",
    "fit_from_lake",
    "load_answer_model",
]
