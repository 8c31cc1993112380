"""The best-time page through the app: the call history before the answer model is trained (and the command that
trains it), the model's heatmaps after, a customer's grid (audited, by id only), exports, and who may see it."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from callwise.board.best_time import MODEL_DIR
from callwise.ops.models import AuditEntry
from callwise.timing import fit_from_lake

OPTION = re.compile(r'<script type="application/json" id="option-(\w+)">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def answer_model(small_bank, tmp_path_factory):
    directory = tmp_path_factory.mktemp("answer") / MODEL_DIR
    fit_from_lake(small_bank["lake"], datetime(2026, 7, 1)).save(directory)
    return directory


def _trained(board, answer_model):
    import shutil

    shutil.copytree(answer_model, board.services.models_dir / MODEL_DIR)


def _heatmaps(html: str) -> dict[str, list]:
    """Each chart's heatmap cells [hour index, weekday, p] as the page hands them to ECharts."""
    return {name: json.loads(text)["series"][0]["data"] for name, text in OPTION.findall(html)}


def _a_customer(lake, opted: bool) -> str:
    people = lake.table("customers")
    found = people.filter(people.profiling_opt_out == opted).order_by("customer_id").limit(1).to_pandas()
    return str(found["customer_id"].iloc[0])


def _audits(board) -> list[AuditEntry]:
    with board.services.factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.best_time")))


def test_before_training_the_history_is_shown_and_the_command_named(board):
    client = board.client_for("agent")
    for lang, shown in (("en", "the answer model is not trained yet"), ("zh", "接听模型尚未训练")):
        page = client.get(f"/board/best-time?lang={lang}")
        assert page.status_code == 200 and shown in page.text.lower()
        assert "callwise timing fit --lake" in page.text and f"models/{MODEL_DIR}" in page.text
        assert 'data-source="history"' in page.text
        cells = _heatmaps(page.text)["segment"]
        assert len(cells) == 7 * 12 and all(0 <= c[2] <= 1 for c in cells if c[2] != "-")
        assert sum(1 for c in cells if c[2] != "-") > 70
    by_job = client.get("/board/best-time?lang=en&segment=occupation%3D" + "退休人员")
    assert by_job.status_code == 200 and "There is no segment" not in by_job.text
    assert len(_heatmaps(by_job.text)["segment"]) == 84


def test_the_trained_model_gives_heatmaps_per_segment(board, answer_model):
    _trained(board, answer_model)
    client = board.client_for("analyst")
    page = client.get("/board/best-time?lang=en")
    assert (
        'data-source="model"' in page.text and "Answer model (empirical-Bayes shrinkage, as of 2026-07-01)" in page.text
    )
    assert "callwise timing fit" not in page.text
    options = re.findall(r'<option value="([^"]+)"', page.text)
    assert options[0] == "all" and len(options) > 5
    one = client.get("/board/best-time", params={"segment": options[-1], "lang": "zh"})
    assert "接听概率：" + options[-1] in one.text
    overall, chosen = _heatmaps(page.text)["segment"], _heatmaps(one.text)["segment"]
    assert all(0 < c[2] < 1 for c in chosen) and chosen != overall
    unknown = client.get("/board/best-time", params={"segment": "<b>nope</b>", "lang": "en"})
    assert unknown.status_code == 200 and "There is no segment" in unknown.text and "<b>nope</b>" not in unknown.text
    exported = client.get("/board/best-time/export/segment.csv", params={"segment": options[-1]})
    text = exported.content.decode("utf-8-sig")
    assert exported.status_code == 200 and len(text.strip().splitlines()) == 1 + 84


def test_a_customers_grid_is_shown_by_id_and_audited(board, answer_model, small_bank):
    _trained(board, answer_model)
    client = board.client_for("agent")
    someone = _a_customer(small_bank["lake"], False)
    page = client.get("/board/best-time", params={"customer": someone, "lang": "en"})
    assert f"Answer probability of customer {someone}" in page.text
    assert len(_heatmaps(page.text)["customer"]) == 84
    assert "****" not in page.text  # no phone, masked or not: the customer is named by id
    assert [(a.actor, a.target) for a in _audits(board)] == [("agent1", f"customer:{someone}")]
    client.get("/board/best-time/export/customer.csv", params={"customer": someone})
    assert len(_audits(board)) == 2  # the export shows the same habit

    opted = _a_customer(small_bank["lake"], True)
    hidden = client.get("/board/best-time", params={"customer": opted, "lang": "en"})
    assert "opted out of profiling" in hidden.text
    maps = _heatmaps(hidden.text)
    assert [round(c[2], 3) for c in maps["customer"]] == [round(c[2], 3) for c in maps["segment"]]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("C-NOBODY", "The lake has no customer C-NOBODY"),
        ("' OR 1=1 --", "A customer id holds only"),
        ("x" * 300, "A customer id holds only"),
    ],
)
def test_a_bad_or_unknown_customer_is_said_and_not_audited(board, value, said):
    page = board.client_for("analyst").get("/board/best-time", params={"customer": value, "lang": "en"})
    assert page.status_code == 200 and said in page.text and "option-customer" not in page.text
    assert _audits(board) == []


def test_roles_without_campaigns_read_get_403(board):
    assert board.client_for("auditor").get("/board/best-time").status_code == 403
    assert board.client_for("admin").get("/board/best-time/export/segment.csv").status_code == 403
    assert board.client_for("supervisor").get("/board/best-time").status_code == 200
