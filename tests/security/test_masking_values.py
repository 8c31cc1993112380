"""Scalar masking agrees with the column masking used in lists and reports."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callwise.security.masking import (
    mask_id_number,
    mask_id_number_value,
    mask_name,
    mask_name_value,
    mask_phone,
    mask_phone_value,
)


def test_examples():
    assert mask_phone_value("13800138000") == "138****8000"
    assert mask_phone_value("12345") == "****"
    assert mask_name_value("欧阳娜娜") == "欧**"
    assert mask_id_number_value("44030119900101123X") == "4403**********123X"
    assert mask_id_number_value("440301900101123") == "4403*******1123"
    assert mask_id_number_value("E12345678") == "********"  # not a resident ID: nothing shown


def test_id_number_hides_the_birth_date():
    masked = mask_id_number_value("440301199001011234")
    assert "19900101" not in masked and len(masked) == 18


def test_none_is_empty_and_wrong_types_are_refused():
    assert mask_phone_value(None) == mask_name_value(None) == mask_id_number_value(None) == ""
    with pytest.raises(TypeError, match="a phone to mask must be str or None, not int"):
        mask_phone_value(13800138000)
    with pytest.raises(TypeError, match="an ID number to mask must be str or None, not float"):
        mask_id_number_value(4.4)


def test_id_number_column():
    out = mask_id_number(pd.Series(["44030119900101123X", "E1234567", None, "4403\n01199001011234"]))
    assert out.tolist() == ["4403**********123X", "********", "********", "4403***********1234"]


@given(st.lists(st.text(max_size=25), max_size=20))
def test_scalar_and_column_masking_agree(values):
    series = pd.Series(values, dtype="string")
    assert mask_phone(series).tolist() == [mask_phone_value(v) for v in values]
    assert mask_name(series).tolist() == [mask_name_value(v) for v in values]
    assert mask_id_number(series).tolist() == [mask_id_number_value(v) for v in values]
