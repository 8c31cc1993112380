"""Scoring a schedule by the truth: attempts happen only while nobody answered."""

import numpy as np
import pandas as pd
import pytest

from callwise.synth.against_truth import _true_outcome


def test_true_outcome_of_a_schedule_by_hand():
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"]})
    p_true = np.array([[0.5, 0.4, 0.2], [0.3, 0.1, 0.9], [0.6, 0.6, 0.6]])
    calls = pd.DataFrame({"customer_id": ["B", "A", "A"], "slot": [2, 1, 0], "attempt": [1, 2, 1]})
    out = _true_outcome(calls, customers, p_true, p_answered=np.array([0.2, 0.5, 0.9]), p_alone=np.full(3, 0.1))
    # A: attempt 1 in slot 0 (0.5), attempt 2 in slot 1 (0.4) only if 1 missed; B: one attempt at 0.9.
    assert out["customers_called"] == 2 and out["planned_calls"] == 3
    assert out["true_expected_calls"] == pytest.approx(1 + 0.5 + 1, abs=0.05)
    answered_a, answered_b = 1 - 0.5 * 0.6, 0.9
    assert out["true_expected_answered"] == pytest.approx(answered_a + answered_b, abs=0.05)
    expected = answered_a * 0.2 + (1 - answered_a) * 0.1 + answered_b * 0.5 + (1 - answered_b) * 0.1
    assert out["true_conversions"] == pytest.approx(expected, abs=0.005)
