"""The scalar legality check (one follow-up at a time) agrees with the policy's vectorised one, minute for minute."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from callwise.policy import default_policy, load_policy
from callwise.policy.calltime import legal_at, legal_intervals


def _policy_with_closed_days():
    """A policy closing a national holiday and Sundays (hypothesis tests cannot take tmp_path)."""
    import tempfile
    from pathlib import Path

    text = "name: t\nversion: 1\nrules:\n  closed_days:\n    dates: ['2026-10-01', '2026-10-02']\n    weekdays: [sun]\n"
    path = Path(tempfile.mkdtemp()) / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


POLICIES = [default_policy(), _policy_with_closed_days()]


@settings(max_examples=300, deadline=None)
@given(
    minute=st.integers(0, 60 * 24 * 14),
    second=st.integers(0, 59),
    minutes=st.integers(1, 180),
    which=st.integers(0, 1),
)
def test_scalar_and_vector_checks_agree(minute, second, minutes, which):
    policy = POLICIES[which]
    start = datetime(2026, 9, 25) + timedelta(minutes=minute, seconds=second)
    end = start + timedelta(minutes=minutes)
    vector = legal_intervals(policy, pd.Series([start]), pd.Series([end]))[0]
    assert legal_at(policy, start, minutes) == bool(vector)
