"""A failed list build stores why in both languages, the Chinese one said from the error's catalogue key."""

from callwise.i18n import t
from callwise.lists.build import ListError
from callwise.ops.jobs import _detail


def test_a_list_error_is_stored_in_chinese_and_english():
    error = ListError("lists.no_agents_table")
    zh, en = (t("ops.job.failed", lang, detail=_detail(error, lang)) for lang in ("zh", "en"))
    assert "数据湖中没有坐席表（agents）" in zh and "agents table" not in zh
    assert "the lake has no agents table" in en


def test_an_error_without_a_key_keeps_its_text_and_an_unexpected_one_its_type():
    assert _detail(ValueError("as it stands"), "zh") == "as it stands"
    assert _detail(RuntimeError("boom"), "zh") == "RuntimeError: boom"
