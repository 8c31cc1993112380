"""Masking of personal data in every list, report and page (DESIGN: PII protected by default)."""

from __future__ import annotations

import pandas as pd


def mask_phone(phones: pd.Series) -> pd.Series:
    """``13800138000`` → ``138****8000``: enough for an agent to recognise, not enough to dial."""
    s = phones.astype("string")
    masked = s.str.slice(0, 3) + "****" + s.str.slice(-4)
    return masked.where(s.str.len() >= 7, "****")


def mask_name(names: pd.Series) -> pd.Series:
    """``张三丰`` → ``张**``: keeps the surname (how agents address customers); hides the rest and its length."""
    s = names.astype("string")
    return s.str.slice(0, 1) + "**"
