"""Compiled trees score LightGBM's own margin (within 1e-9), on the same bits every time, and are compiled once.

Real data (the UCI file) and the synthetic bank's features, both with categorical splits and missing values;
the fallback is exercised with the compiler really unimportable (``sys.modules`` holds None for it).
"""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from callwise.models import load_model, make_model
from callwise.models.compiled import CACHE_DIR, CompiledScoringWarning, compile_trees
from callwise.models.widetable import load_wide_table
from callwise.pipeline import training_frame

TOLERANCE = 1e-9


def assert_same_margin(compiled: np.ndarray, lightgbm: np.ndarray) -> None:
    """Within 1e-9 of LightGBM's margin: relative to it, or absolute where it is near 0."""
    assert compiled.shape == lightgbm.shape
    gap = np.abs(compiled - lightgbm)
    assert (gap <= TOLERANCE * np.maximum(np.abs(lightgbm), 1.0)).all(), f"max gap {gap.max()}"


def odd_rows(X: pd.DataFrame, categorical: list[str], numeric: list[str]) -> pd.DataFrame:
    """Rows LightGBM treats specially: categories never seen in training, and blanks in every kind of column."""
    odd = X.sample(300, random_state=0).reset_index(drop=True)
    odd.loc[:99, categorical] = "never-seen"
    odd.loc[100:199, categorical] = np.nan
    odd.loc[200:, numeric] = np.nan
    return odd


@pytest.fixture(scope="module")
def uci(uci_additional):
    wide = load_wide_table(uci_additional, "y", drop=["duration"])
    rng = np.random.default_rng(1)
    rows = rng.choice(len(wide.y), 10_000, replace=False)
    return wide.X.iloc[rows].reset_index(drop=True), wide.y[rows]


@pytest.fixture(scope="module")
def bank(small_bank):
    X, y, _ = training_frame(small_bank["lake"])
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def saved(bank, tmp_path_factory):
    """A model fitted once on the synthetic bank, saved; tests load their own copy (nothing compiled yet)."""
    X, y = bank
    directory = tmp_path_factory.mktemp("compiled") / "bank-model"
    make_model("lightgbm", random_state=0, compile_min_rows=0).fit(X, y).save(directory)
    return directory


def fresh(saved, tmp_path):
    """A copy of the saved model in a directory of this test's own (so its cache starts empty), loaded."""
    shutil.copytree(saved, tmp_path / "m")
    return load_model(tmp_path / "m")


@pytest.mark.slow
@pytest.mark.parametrize("data", ["uci", "bank"])
def test_compiled_margin_is_lightgbms_with_categories_and_blanks(data, request, tmp_path):
    X, y = request.getfixturevalue(data)
    model = make_model("lightgbm", random_state=0, compile_min_rows=0).fit(X, y)
    categorical = list(model.categories_)
    numeric = [c for c in X.columns if c not in model.categories_]
    assert categorical and "cat_threshold" in model.booster_.model_to_string(), "the trees split on categories"
    scored = pd.concat([X, odd_rows(X, categorical, numeric)], ignore_index=True)
    matrix = model._prepare(scored)
    assert np.isnan(matrix).any(axis=0).sum() >= len(X.columns) // 2, "blanks in most columns"

    trees = model.compiled_trees()
    assert trees is not None
    lightgbm = model.booster_.predict(matrix, raw_score=True)
    assert_same_margin(trees.margin(matrix, n_jobs=2), lightgbm)
    assert_same_margin(model.margin(matrix), lightgbm)

    # Through the public interface: probabilities as LightGBM's margin gives them, Platt on top as before.
    compiled = model.predict_proba(scored)
    plain = load_model(model.save(tmp_path / "plain")).set_params(compile_min_rows=None)
    np.testing.assert_allclose(compiled, plain.predict_proba(scored), rtol=TOLERANCE, atol=0)
    assert "_compiled" not in plain.__dict__, "compile_min_rows=None never compiles"


def test_same_input_same_bits_on_any_number_of_threads(bank, saved, tmp_path):
    X, _ = bank
    model = fresh(saved, tmp_path)
    rows = np.random.default_rng(0).integers(0, len(X), 30_000)
    matrix = model._prepare(X.iloc[rows])
    trees = model.compiled_trees()
    assert trees is not None
    first = trees.margin(matrix, n_jobs=2)
    for n_jobs in (2, 1, 3):
        assert np.array_equal(trees.margin(matrix, n_jobs=n_jobs).view(np.int64), first.view(np.int64)), n_jobs
    assert np.array_equal(model.predict_proba(X.iloc[rows]), model.predict_proba(X.iloc[rows]))


def test_small_batches_stay_on_lightgbm_and_large_ones_compile(bank, saved, tmp_path):
    X, _ = bank
    model = fresh(saved, tmp_path).set_params(compile_min_rows=len(X))
    model.predict_proba(X.iloc[:-1])
    assert "_compiled" not in model.__dict__, "a batch below compile_min_rows never pays for a compile"
    model.predict_proba(X)
    assert model.__dict__["_compiled"] is not None


def test_a_saved_model_is_compiled_once_and_its_cache_is_private(bank, saved, tmp_path):
    X, y = bank
    first = fresh(saved, tmp_path).compiled_trees()
    assert first is not None and not first.cached
    folder = tmp_path / "m" / CACHE_DIR
    (cached,) = folder.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(cached.stat().st_mode) == 0o600

    again = load_model(tmp_path / "m")
    trees = again.compiled_trees()
    assert trees is not None and trees.cached and trees.key == first.key
    matrix = again._prepare(X)
    assert_same_margin(again.margin(matrix), again.booster_.predict(matrix, raw_score=True))
    assert [p.name for p in folder.iterdir()] == [cached.name], "loading from the cache writes nothing new"

    # Another booster in the same directory gets its own file: a stale one is never run.
    make_model("lightgbm", random_state=5, compile_min_rows=0).fit(X, y).save(tmp_path / "m")
    refit = load_model(tmp_path / "m")
    trees = refit.compiled_trees()
    assert trees is not None and not trees.cached and trees.key != first.key
    assert len(list(folder.iterdir())) == 2
    matrix = refit._prepare(X)
    assert_same_margin(refit.margin(matrix), refit.booster_.predict(matrix, raw_score=True))


def test_object_code_others_could_change_is_compiled_anew_not_run(saved, tmp_path):
    assert fresh(saved, tmp_path).compiled_trees() is not None
    (cached,) = (tmp_path / "m" / CACHE_DIR).iterdir()
    os.chmod(cached, 0o666)
    trees = load_model(tmp_path / "m").compiled_trees()
    assert trees is not None and not trees.cached
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600, "replaced by a private file"


def test_a_model_directory_that_cannot_hold_the_cache_still_scores_compiled(bank, saved, tmp_path):
    X, _ = bank
    shutil.copytree(saved, tmp_path / "m")
    (tmp_path / "m" / CACHE_DIR).write_text("a file where the cache folder would be", encoding="utf-8")
    model = load_model(tmp_path / "m")
    trees = model.compiled_trees()
    assert trees is not None and not trees.cached
    matrix = model._prepare(X)
    assert_same_margin(model.margin(matrix), model.booster_.predict(matrix, raw_score=True))


def test_without_the_compiler_lightgbm_scores_with_one_warning(bank, saved, tmp_path, monkeypatch):
    X, _ = bank
    reference = load_model(saved).set_params(compile_min_rows=None).predict_proba(X)
    model = fresh(saved, tmp_path)
    monkeypatch.setitem(sys.modules, "lleaves", None)  # `import lleaves` now raises ImportError
    with pytest.warns(CompiledScoringWarning) as caught:
        p = model.predict_proba(X)
    (warning,) = caught
    assert warning.message.key == "models.compiled.missing"
    english, chinese = warning.message.message("en"), warning.message.message("zh")
    assert "lleaves" in english and "cannot be imported" in english and "LightGBM" in english
    assert "lleaves" in chinese and chinese != english
    np.testing.assert_array_equal(p, reference)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(model.predict_proba(X), reference)  # warned once per model, not per batch
    assert model.compiled_trees() is None


def test_a_model_the_compiler_cannot_read_falls_back_with_a_warning():
    with pytest.warns(CompiledScoringWarning) as caught:
        assert compile_trees("tree\nversion=v4\nnot a LightGBM model\n") is None
    assert caught[0].message.key == "models.compiled.failed"


def test_a_compiled_model_pickles_and_compiles_again(bank, saved, tmp_path):
    X, _ = bank
    model = fresh(saved, tmp_path)
    p = model.predict_proba(X)
    assert model.__dict__["_compiled"] is not None
    copy = pickle.loads(pickle.dumps(model))
    assert "_compiled" not in copy.__dict__
    np.testing.assert_array_equal(copy.predict_proba(X), p)
