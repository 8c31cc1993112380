"""Champion/challenger: paired bootstrap, and promotion or refusal through the registry (SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import select

from callwise.models import make_model
from callwise.monitor.challenger import active_model, paired_bootstrap, record_challenge
from callwise.monitor.errors import MonitorError
from callwise.monitor.simulate import population
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry, ModelVersion


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X, p = population(26_000, rng)
    y = (rng.random(len(p)) < p).astype(int)
    return X.iloc[:20_000], y[:20_000], X.iloc[20_000:], y[20_000:]


def test_paired_bootstrap_auc_values_and_pairing() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3_000)
    a = y + rng.normal(0, 1.5, 3_000)
    b = a + rng.normal(0, 0.01, 3_000)  # nearly the same score: a paired interval is narrow
    out = paired_bootstrap(y, a, b, draws=400, seed=1)
    assert out["champion_auc"] == pytest.approx(roc_auc_score(y, a), abs=1e-6)
    assert out["challenger_auc"] == pytest.approx(roc_auc_score(y, b), abs=1e-6)
    assert out["high"] - out["low"] < 0.01  # unpaired resampling would give about 0.05
    assert out["low"] <= out["difference"] <= out["high"]


def test_bad_inputs() -> None:
    with pytest.raises(MonitorError, match="one class"):
        paired_bootstrap([1, 1, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])
    with pytest.raises(MonitorError, match="outcomes but"):
        paired_bootstrap([0, 1], [0.1], [0.3, 0.2])
    with pytest.raises(MonitorError, match="probability"):
        paired_bootstrap([0, 1], [0.1, np.nan], [0.3, 0.2])


def _register_champion(factory, tmp_path) -> None:
    with transaction(factory) as session:
        session.add(ModelVersion(name="response", version="v1", path=str(tmp_path), card={}, active=True))


def _audit(factory) -> list[tuple[str, dict]]:
    with factory() as session:
        return [(e.action, e.detail) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.entry_id))]


def test_a_truly_better_challenger_is_promoted(db_engine, data, tmp_path) -> None:
    X, y, Xh, yh = data
    champion = make_model("logistic").fit(X.iloc[:300][["province"]], y[:300])  # weakened: few rows, one feature
    challenger = make_model("logistic").fit(X, y)
    comparison = paired_bootstrap(
        yh, champion.predict_proba(Xh[["province"]])[:, 1], challenger.predict_proba(Xh)[:, 1], draws=500
    )
    factory = session_factory(db_engine)
    _register_champion(factory, tmp_path)
    result = record_challenge(factory, "response", "v2", str(tmp_path), {"rows": 1}, comparison, margin=0.01)
    assert result["promoted"] and result["active"] == "v2" and result["before"] == "v1"
    with factory() as session:
        active = session.scalars(select(ModelVersion).where(ModelVersion.active.is_(True))).all()
    assert [v.version for v in active] == ["v2"]
    assert active_model(factory, "response")[0] == "v2"
    actions = _audit(factory)
    assert [a for a, _ in actions] == ["model.register", "model.promote"]
    assert actions[-1][1]["via"] == "challenge" and actions[-1][1]["low"] > 0.01


def test_an_equal_challenger_is_refused(db_engine, data, tmp_path) -> None:
    X, y, Xh, yh = data
    champion = make_model("logistic").fit(X.iloc[:10_000], y[:10_000])
    challenger = make_model("logistic").fit(X.iloc[10_000:], y[10_000:])  # same kind, same size, other rows
    comparison = paired_bootstrap(yh, champion.predict_proba(Xh)[:, 1], challenger.predict_proba(Xh)[:, 1], draws=500)
    factory = session_factory(db_engine)
    _register_champion(factory, tmp_path)
    result = record_challenge(factory, "response", "v2", str(tmp_path), {}, comparison)
    assert not result["promoted"] and result["active"] == "v1"
    assert comparison["low"] <= 0
    assert [a for a, _ in _audit(factory)] == ["model.register", "model.challenge_refused"]
    with factory() as session:
        assert session.scalar(select(ModelVersion).where(ModelVersion.version == "v2")).active is False
