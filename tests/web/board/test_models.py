"""The models page through the app: registry, card, health, and promote / roll back behind a confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, ModelVersion


@pytest.fixture(scope="module")
def trained_dir(small_bank, tmp_path_factory):
    from callwise.pipeline import train_from_lake

    out = tmp_path_factory.mktemp("board-models") / "response-v1"
    train_from_lake(small_bank["lake"], "logistic", out)
    return out


@pytest.fixture
def models(board, trained_dir) -> dict[str, int]:
    """Three versions of "response": v1 promoted first, then v2 (active); v3 only registered."""
    import json

    card = json.loads((trained_dir / "model_card.json").read_text(encoding="utf-8"))
    with transaction(board.services.factory) as s:
        rows = {
            v: ModelVersion(name="response", version=v, path=str(trained_dir), card=card) for v in ("v1", "v2", "v3")
        }
        s.add_all(rows.values())
        s.flush()
        ids = {v: r.model_id for v, r in rows.items()}
    client = board.client_for("analyst")
    for version in ("v1", "v2"):
        done = client.post(f"/board/models/{ids[version]}/promote", data={"csrf_token": board.csrf(client)})
        assert done.status_code == 303
    return ids


def _audit(board, action: str) -> list[AuditEntry]:
    with board.services.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.entry_id)))


def _active(board) -> str:
    with board.services.factory() as s:
        return s.scalar(select(ModelVersion.version).where(ModelVersion.active.is_(True)))


def test_registry_and_card_in_both_languages(board, models):
    client = board.client_for("analyst")
    en = client.get("/board/models?lang=en")
    assert en.status_code == 200 and "Model registry" in en.text
    assert all(f">{v}<" in en.text for v in ("v1", "v2", "v3"))
    zh = client.get(f"/board/models/{models['v2']}?lang=zh")
    assert zh.status_code == 200 and "模型卡" in zh.text and "训练数据窗口" in zh.text and "回滚到上一个版本" in zh.text
    card = client.get(f"/board/models/{models['v3']}?lang=en")
    assert "Promote to active" in card.text and f'hx-get="/board/models/{models["v3"]}/health"' in card.text
    csv = client.get("/board/models/export/registry.csv")
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").count("response") == 3
    assert client.get("/board/models/999999").status_code == 404


def test_health_is_loaded_then_shown_in_the_card(board, models):
    from callwise.board.models import clear_cache

    clear_cache()
    client = board.client_for("analyst")
    waiting = client.get(f"/board/models/{models['v2']}?lang=en")
    assert f'hx-get="/board/models/{models["v2"]}/health"' in waiting.text and 'id="figure-psi"' not in waiting.text
    loaded = client.get(f"/board/models/{models['v2']}/health", headers={"HX-Request": "true"})
    assert loaded.status_code == 204 and loaded.headers["hx-refresh"] == "true"  # HTMX reloads the card page
    plain = client.get(f"/board/models/{models['v2']}/health")
    assert plain.status_code == 303 and plain.headers["location"] == f"/board/models/{models['v2']}#health"
    page = client.get(f"/board/models/{models['v2']}?lang=en")
    assert 'id="figure-psi"' in page.text and 'id="figure-auc"' in page.text and "Realised AUC by week" in page.text
    assert 'id="chart-psi"' in page.text and "hx-get" not in page.text.split('id="health"')[1][:200]
    assert f'href="/board/models/{models["v2"]}/export/auc.csv"' in page.text
    weeks = client.get(f"/board/models/{models['v2']}/export/auc.csv?lang=en").content.decode("utf-8-sig")
    assert weeks.splitlines()[0].startswith("Week,") and len(weeks.splitlines()) > 2
    psi = client.get(f"/board/models/{models['v2']}/export/psi.xlsx")
    assert psi.status_code == 200 and psi.content[:2] == b"PK"
    zh = client.get(f"/board/models/{models['v2']}?lang=zh")
    assert "每周实际 AUC 及其 95% 区间" in zh.text


def test_promote_needs_confirmation_csrf_and_models_write(board, models):
    analyst = board.client_for("analyst")
    before = len(_audit(board, "model.promote"))
    confirm = analyst.get(f"/board/models/{models['v3']}/promote?lang=en")
    assert (
        confirm.status_code == 200 and "changes from v2 to v3" in confirm.text and 'name="csrf_token"' in confirm.text
    )
    assert _active(board) == "v2"  # showing the confirmation changes nothing
    refused = analyst.post(f"/board/models/{models['v3']}/promote", data={})
    assert refused.status_code == 403 and _active(board) == "v2"
    wrong = analyst.post(f"/board/models/{models['v3']}/promote", data={"csrf_token": "x" * 64})
    assert wrong.status_code == 403 and _active(board) == "v2"
    supervisor = board.client_for("supervisor")  # neither models:read nor models:write
    assert supervisor.get("/board/models").status_code == 403
    assert supervisor.get(f"/board/models/{models['v3']}/promote").status_code == 403
    no_right = supervisor.post(f"/board/models/{models['v3']}/promote", data={"csrf_token": board.csrf(supervisor)})
    assert no_right.status_code == 403 and _active(board) == "v2"
    done = analyst.post(f"/board/models/{models['v3']}/promote", data={"csrf_token": board.csrf(analyst)})
    assert done.status_code == 303 and done.headers["location"] == f"/board/models/{models['v3']}?done=promote"
    assert _active(board) == "v3"
    entries = _audit(board, "model.promote")
    assert len(entries) == before + 1
    assert entries[-1].actor == "analyst1" and entries[-1].detail == {"before": "v2", "after": "v3"}
    shown = analyst.get(done.headers["location"] + "&lang=en")
    assert "v3 is now the active version of response (audited)" in shown.text


def test_rollback_confirms_the_version_it_showed(board, models):
    analyst = board.client_for("analyst")
    confirm = analyst.get("/board/models/by-name/response/rollback?lang=zh")
    assert confirm.status_code == 200 and "将从 v2 变为 v1" in confirm.text
    assert f'name="expected" value="{models["v1"]}"' in confirm.text
    token = board.csrf(analyst)
    stale = analyst.post(
        "/board/models/by-name/response/rollback", data={"csrf_token": token, "expected": models["v3"]}
    )
    assert stale.status_code == 409 and _active(board) == "v2" and _audit(board, "model.rollback") == []
    no_csrf = analyst.post("/board/models/by-name/response/rollback", data={"expected": models["v1"]})
    assert no_csrf.status_code == 403 and _active(board) == "v2"
    done = analyst.post("/board/models/by-name/response/rollback", data={"csrf_token": token, "expected": models["v1"]})
    assert done.status_code == 303 and _active(board) == "v1"
    (entry,) = _audit(board, "model.rollback")
    assert entry.actor == "analyst1" and entry.detail == {"before": "v2", "after": "v1"}
    nothing = analyst.get("/board/models/by-name/other/rollback?lang=en")
    assert nothing.status_code == 409 and "no earlier promoted version" in nothing.text
