import pandas as pd

from callwise.security.masking import mask_name, mask_phone


def test_mask_phone_never_shows_the_full_number():
    out = mask_phone(pd.Series(["13800138000", "15912345678", None]))
    assert out.iloc[0] == "138****8000"
    assert out.iloc[1] == "159****5678"
    assert "1380013" not in out.iloc[0]
    assert pd.isna(out.iloc[2]) or out.iloc[2] == "****"


def test_mask_name_hides_length():
    out = mask_name(pd.Series(["张三丰", "李四"]))
    assert out.tolist() == ["张**", "李**"]
