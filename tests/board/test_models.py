"""The models board's data: registry, cards, health (issue 13's monitor), and the previews of promote/roll back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from callwise.board.models import (
    clear_cache,
    model_card,
    model_health,
    promote_change,
    registry_rows,
    rollback_change,
)
from callwise.monitor.lake import monitor_lake
from callwise.ops import registry
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry, ModelVersion
from callwise.pipeline import train_from_lake


@pytest.fixture(scope="module")
def saved_model(small_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    train_from_lake(small_bank["lake"], "logistic", out)
    return out


def _register(factory, saved_model, versions=("v1", "v2", "v3")) -> list[int]:
    card = json.loads((saved_model / "model_card.json").read_text(encoding="utf-8"))
    card["features"] = str(card["features"])  # as older cards stored it: the list's text
    with transaction(factory) as s:
        rows = [ModelVersion(name="response", version=v, path=str(saved_model), card=card) for v in versions]
        s.add_all(rows)
        s.flush()
        return [r.model_id for r in rows]


def test_registry_card_and_the_changes_they_preview(db_engine, saved_model):
    factory = session_factory(db_engine)
    v1, v2, v3 = _register(factory, saved_model)
    with factory() as s:
        assert [r["version"] for r in registry_rows(s)] == ["v3", "v2", "v1"]
        assert not any(r["active"] for r in registry_rows(s))
        card = model_card(s, v2)
        assert card is not None and model_card(s, 10**6) is None
        assert card.campaigns and card.first_cutoff and card.code_version
        assert "age" in card.features and card.metrics["rows"] > 0 and card.top_features
        assert promote_change(s, v1).before is None and promote_change(s, v1).after == "v1"
        assert rollback_change(s, "response") is None  # nothing promoted yet
    with transaction(factory) as s:
        registry.promote(s, v1, "ann", "10.0.0.1")
    with transaction(factory) as s:
        registry.promote(s, v2, "ann", "10.0.0.1")
    with factory() as s:
        change = rollback_change(s, "response")
        assert (change.before, change.after, change.model_id) == ("v2", "v1", v1)
        assert promote_change(s, v3).before == "v2"
    with transaction(factory) as s:
        assert registry.rollback(s, "response", "ann", None).version == "v1"
    with factory() as s:
        active = [r["version"] for r in registry_rows(s) if r["active"]]
        audit = [(e.action, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.entry_id))]
    assert active == ["v1"]
    assert audit == [
        ("model.promote", {"before": None, "after": "v1"}),
        ("model.promote", {"before": "v1", "after": "v2"}),
        ("model.rollback", {"before": "v2", "after": "v1"}),
    ]
    with transaction(factory) as s:
        only = ModelVersion(name="answer", version="a1", path=str(saved_model), card={})
        s.add(only)
        s.flush()
        registry.promote(s, only.model_id, "ann", None)
    with transaction(factory) as s, pytest.raises(registry.RegistryError) as refused:
        registry.rollback(s, "answer", "ann", None)
    assert refused.value.code == "conflict" and "no earlier promoted version" in str(refused.value)


def test_health_is_the_monitors_and_cached(small_bank, saved_model, tmp_path):
    clear_cache()
    health = model_health(small_bank["lake"], saved_model)
    direct = monitor_lake(small_bank["lake"], saved_model)
    assert health.problem is None
    assert [w["week"] for w in health.weeks] == [w["week"] for w in direct["weeks"]]
    assert [w["auc"] for w in health.weeks] == [w["performance"]["auc"] for w in direct["weeks"]]
    assert health.stability[0]["column"] == "score"
    assert {r["column"] for r in health.stability} == {r["column"] for r in direct["weeks"][-1]["stability"]}
    assert health.retrain == direct["retrain"]
    assert model_health(small_bank["lake"], saved_model) is health  # same data, same files: the cache
    assert model_health(None, saved_model).problem == "board.models.health.no_lake"
    assert model_health(small_bank["lake"], tmp_path / "gone").problem == "board.models.health.no_files"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model_card.json").write_text("{}", encoding="utf-8")
    assert model_health(small_bank["lake"], broken).problem == "board.models.health.unreadable"
