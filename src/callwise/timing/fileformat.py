"""The answer model's file format: the file names, kind and version that the writer and the reader share.

Kept apart from both so that the model (which saves itself) and the store (which reads a model back) need
not import each other.
"""

from __future__ import annotations

STATE = "answer_model.json"
CARD = "model_card.json"
KIND = "answer_model"
FORMAT = 1


class AnswerModelFileError(ValueError):
    """A directory that does not hold a readable answer model; the message names it."""
