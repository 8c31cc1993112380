"""The uplift board's data: uplift models found among the registered versions, their cards' figures, and the
negative-uplift exclusions of recent lists ranked by uplift (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from callwise.board.uplift import by_campaign, negative_uplift_lists, uplift_card, uplift_models
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import ModelVersion
from tests.board.uplift_data import fit_and_save, issue, register, summary


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("uplift") / "auto"
    return directory, fit_and_save(directory)


def test_only_uplift_cards_count_and_the_active_one_is_shown_first(db_engine, saved):
    directory, card = saved
    factory = session_factory(db_engine)
    with factory() as s:
        assert uplift_models(s) == [] and uplift_card(s) is None
    with transaction(factory) as s:
        s.add(ModelVersion(name="response", version="r1", path="x", card={"model": "lightgbm"}, active=True))
    older = register(factory, directory, "u1", active=True)
    newer = register(factory, directory, "u2")
    with factory() as s:
        models = uplift_models(s)
        assert [m["version"] for m in models] == ["u2", "u1"]
        assert models[0]["learner"] == card["learner"] and models[0]["qini"] == card["selection"]["evaluation"]["qini"]
        shown = uplift_card(s)
        assert shown is not None and shown.model_id == older  # the active one, though not the newest
        assert uplift_card(s, newer).version == "u2"
        response = s.query(ModelVersion).filter_by(version="r1").one()
        assert uplift_card(s, response.model_id) is None  # a response model is not shown as an uplift model
    assert shown.evaluated and shown.learner in ("t", "s", "x", "dr") and shown.requested == "auto"
    assert set(shown.cv_qini) == {"t", "s", "x", "dr"} and shown.folds == 2
    assert len(shown.curve["share"]) == len(shown.curve["qini"]) > 10 and shown.curve["share"][-1] == 1.0
    assert [d["decile"] for d in shown.deciles] == list(range(1, 11))
    assert set(shown.calibration) >= {"slope", "intercept", "mean_abs_error"}
    assert shown.treated + shown.control == shown.rows == 1500
    assert shown.headline["qini"] > 0.05  # the experiment has real persuadables: the model finds them


def test_a_card_without_an_evaluation_or_with_damaged_fields_still_shows(db_engine, tmp_path):
    factory = session_factory(db_engine)
    fit_and_save(tmp_path / "t", learner="t", folds=0)
    model_id = register(factory, tmp_path / "t", "plain")
    with transaction(factory) as s:
        s.add(
            ModelVersion(
                name="odd", version="1", path="x", card={"kind": "uplift", "selection": "?", "top_features": 3}
            )
        )
    with factory() as s:
        plain = uplift_card(s, model_id)
        assert plain is not None and not plain.evaluated and plain.cv_qini == {} and plain.learner == "t"
        odd = next(m for m in uplift_models(s) if m["name"] == "odd")
        card = uplift_card(s, odd["model_id"])
        assert card is not None and not card.evaluated and card.top_features == [] and card.deciles == []


def test_negative_uplift_exclusions_of_lists_ranked_by_uplift_only(db_engine):
    factory = session_factory(db_engine)
    first = issue(factory, "camp-a", [summary("uplift", 1000, 120, 300), summary("uplift", 800, 40, 300)])
    issue(factory, "camp-b", [summary("response", 900, 0, 300), summary("uplift", 500, 0, 200)])
    with factory() as s:
        lists = negative_uplift_lists(s)
    assert [(r["campaign_id"], r["negative_uplift"]) for r in lists] == [("camp-b", 0), ("camp-a", 40), ("camp-a", 120)]
    oldest = lists[-1]
    assert oldest["list_id"] == first[0] and oldest["eligible"] == 1000 and oldest["share"] == pytest.approx(0.12)
    totals = {r["campaign_id"]: r for r in by_campaign(lists)}
    assert totals["camp-a"]["lists"] == 2 and totals["camp-a"]["negative_uplift"] == 160
    assert totals["camp-a"]["share"] == pytest.approx(160 / 1800) and totals["camp-b"]["share"] == 0
    with factory() as s:
        assert len(negative_uplift_lists(s, shown=1)) == 1
