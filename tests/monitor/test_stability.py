"""PSI against a hand computation, its null distribution by simulation, profiles saved as JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from callwise.monitor.errors import MonitorError
from callwise.monitor.stability import (
    MISSING,
    OTHER,
    Profile,
    build_profile,
    fit_binning,
    load_profile,
    null_quantile,
    psi,
    save_profile,
    stability,
)


def test_psi_matches_a_hand_computation() -> None:
    ref, cur = np.array([50, 30, 20]), np.array([40, 30, 30])
    r = (ref + 0.5) / (ref + 0.5).sum()
    c = (cur + 0.5) / (cur + 0.5).sum()
    by_hand = sum((ci - ri) * np.log(ci / ri) for ci, ri in zip(c, r, strict=True))
    assert psi(ref, cur) == pytest.approx(by_hand, rel=1e-12)
    assert psi(ref, ref) == 0.0


def test_bins_quantiles_categories_rare_pooled_and_missing() -> None:
    values = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan])
    binning = fit_binning(values, bins=5)
    counts = binning.counts(values)
    assert counts[-1] == 1 and binning.labels[-1] == MISSING
    assert counts[:-1].tolist() == [2, 2, 2, 2, 2]
    text = pd.Series(["a"] * 60 + ["b"] * 39 + ["z"] + [None])
    cat = fit_binning(text, rare_share=0.05)
    assert cat.categories == ("a", "b")
    assert dict(zip(cat.labels, cat.counts(text).tolist(), strict=True)) == {"a": 60, "b": 39, OTHER: 1, MISSING: 1}
    unseen = cat.counts(pd.Series(["new", "a"]))
    assert unseen.tolist() == [1, 0, 1, 0]


def test_null_psi_follows_the_scaled_chi_square() -> None:
    """Under no change PSI ≈ (1/n_ref + 1/n_cur)·χ²(k−1): mean and 95th percentile by simulation."""
    rng = np.random.default_rng(3)
    k, n_ref, n_cur = 10, 20_000, 3_000
    p = rng.dirichlet(np.full(k, 5.0))
    values = np.array([psi(rng.multinomial(n_ref, p), rng.multinomial(n_cur, p)) for _ in range(4_000)])
    scale = 1 / n_ref + 1 / n_cur
    assert values.mean() == pytest.approx(scale * (k - 1), rel=0.05)
    assert np.quantile(values, 0.95) == pytest.approx(scale * stats.chi2.ppf(0.95, k - 1), rel=0.07)
    assert (values > null_quantile(n_ref, n_cur, k, 0.01)).mean() == pytest.approx(0.01, abs=0.006)


def test_stability_flags_a_shift_and_not_the_same_population(tmp_path) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=20_000), "c": rng.choice(["a", "b", "c"], 20_000)})
    profile = build_profile(train, rng.random(20_000))
    save_profile(tmp_path, profile)
    back = load_profile(tmp_path)
    assert back is not None and back.counts == profile.counts
    assert json.loads((tmp_path / "reference_profile.json").read_text())["rows"] == 20_000
    same = pd.DataFrame(
        {"x": rng.normal(size=3_000), "c": rng.choice(["a", "b", "c"], 3_000), "score": rng.random(3_000)}
    )
    assert not any(r["alarm"] for r in stability(back, same))
    moved = same.assign(x=same["x"] + 0.3)
    rows = {r["column"]: r for r in stability(back, moved)}
    assert rows["x"]["alarm"] and not rows["c"]["alarm"]
    assert next(iter(rows)) == "score" and set(rows) == {"score", "x", "c"}


def test_bad_inputs_are_translated_errors(tmp_path) -> None:
    profile = build_profile(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0.1, 0.2, 0.3])
    with pytest.raises(MonitorError, match="at least one"):
        stability(profile, pd.DataFrame({"x": []}))
    with pytest.raises(MonitorError, match="none of the reference"):
        stability(profile, pd.DataFrame({"y": [1.0]}))
    assert load_profile(tmp_path) is None
    (tmp_path / "reference_profile.json").write_text('{"rows": 3}')
    with pytest.raises(MonitorError, match="damaged reference profile"):
        load_profile(tmp_path)
    (tmp_path / "reference_profile.json").write_text("{not json")
    with pytest.raises(MonitorError):
        load_profile(tmp_path)
    assert isinstance(Profile.from_json(profile.to_json()), Profile)
