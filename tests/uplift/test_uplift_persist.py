"""Saved without pickle and read back the same; anything else in a directory is refused in one sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.uplift.helpers import experiment, tiny

from callwise.models import make_model
from callwise.uplift import LEARNERS, UpliftFileError, is_uplift_model, load_uplift, make_uplift


@pytest.mark.parametrize("name", LEARNERS)
def test_round_trip(name, data, tmp_path):
    X, y, t, _ = data
    model = make_uplift(name, **tiny(name, interval_folds=2)).fit(X, y, t)
    model.save(tmp_path / "m", card={"data": "test"})
    assert is_uplift_model(tmp_path / "m")
    assert not any(p.suffix in {".pkl", ".pickle", ".joblib"} for p in (tmp_path / "m").iterdir())
    again = load_uplift(tmp_path / "m")
    assert type(again) is type(model) and again.get_params() == model.get_params()
    np.testing.assert_array_equal(again.predict_uplift(X), model.predict_uplift(X))
    for a, b in zip(again.predict_outcomes(X), model.predict_outcomes(X), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(again.uplift_interval(X), model.uplift_interval(X), strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.explain(X.head(50)).equals(model.explain(X.head(50)))
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["kind"] == "uplift" and card["learner"] == name and card["data"] == "test"
    assert card["features"] == ["x0", "x1", "segment"] and card["n_features"] == 3
    assert card["propensity"]["source"] == "share" and card["interval_members"] == 2
    assert set(card["top_features"]) == {"x0", "x1", "segment"}
    assert {"callwise_version", "params"} <= set(card)


def test_estimated_propensity_is_saved_too(tmp_path):

    X, y, t, _ = experiment(seed=2, confounded=True)
    model = make_uplift("x", **tiny("x", interval_folds=0)).fit(X, y, t)
    again = load_uplift(model.save(tmp_path / "m"))
    assert again.propensity_info_["source"] == "estimated"
    np.testing.assert_array_equal(again.predict_uplift(X), model.predict_uplift(X))


@pytest.fixture
def saved(data, tmp_path):
    X, y, t, _ = data
    return make_uplift("t", **tiny("t", interval_folds=0)).fit(X, y, t).save(tmp_path / "m")


def test_refusals(saved, data, tmp_path):
    with pytest.raises(UpliftFileError, match=r"not a saved model \(no state.json\)"):
        load_uplift(tmp_path / "nowhere")
    X, y, _, _ = data
    response = make_model("logistic").fit(X[["x0", "x1"]], y).save(tmp_path / "response")
    assert not is_uplift_model(response)
    with pytest.raises(UpliftFileError, match="not an uplift model"):
        load_uplift(response)
    (saved / "control.txt").unlink()
    with pytest.raises(UpliftFileError, match=r"model file control\.txt is missing"):
        load_uplift(saved)


def test_damaged_state(saved):
    state_file = saved / "state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state_file.write_text(json.dumps({**state, "learner": "zz"}), encoding="utf-8")
    with pytest.raises(UpliftFileError, match="unknown uplift learner 'zz'"):
        load_uplift(saved)
    state_file.write_text(json.dumps({k: v for k, v in state.items() if k != "categories"}), encoding="utf-8")
    with pytest.raises(UpliftFileError, match="damaged uplift model file"):
        load_uplift(saved)
    state_file.write_bytes(b'{"kind": "upl')
    with pytest.raises(UpliftFileError, match="damaged model file"):
        load_uplift(saved)
    assert not is_uplift_model(saved)
    escape = {"treated": "../../etc/passwd", "control": "control.txt"}
    state_file.write_text(json.dumps({**state, "boosters": escape}), encoding="utf-8")
    with pytest.raises(UpliftFileError, match="passwd is missing"):
        load_uplift(saved)


def test_a_damaged_booster_file(saved):
    (saved / "treated.txt").write_text("tree\nnot a model\n", encoding="utf-8")
    with pytest.raises(UpliftFileError, match="damaged uplift model file"):
        load_uplift(saved)
