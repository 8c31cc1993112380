"""Bad requests on the registry, jobs and lists: each refused with its own status and a clear body."""

from __future__ import annotations

import pytest


def test_a_model_directory_without_its_card_is_refused(api):
    (api.services.models_dir / "no-card").mkdir(parents=True)
    (api.services.models_dir / "broken").mkdir()
    (api.services.models_dir / "broken" / "model_card.json").write_text("{not json", encoding="utf-8")
    for path in ("no-card", "broken", "missing"):
        refused = api.client.post("/api/v1/models", json={"version": "v1", "path": path}, headers=api.as_("analyst"))
        assert refused.status_code == 422, path
        assert refused.json()["error"]["details"][0]["where"] == "body.path"
    assert api.client.get("/api/v1/models", headers=api.as_("analyst")).json() == {"items": [], "next_cursor": None}


def test_no_file_of_a_model_directory_may_lead_outside_the_models_directory(api, tmp_path):
    secret = tmp_path / "outside" / "secret.json"
    secret.parent.mkdir()
    secret.write_text('{"password": "hunter2-not-a-card"}', encoding="utf-8")
    models = api.services.models_dir
    for name, link in (("card-link", "model_card.json"), ("state-link", "state.json"), ("deep-link", "sub/x.txt")):
        (models / name / link).parent.mkdir(parents=True)
        if link != "model_card.json":
            (models / name / "model_card.json").write_text('{"model": "logistic"}', encoding="utf-8")
        (models / name / link).symlink_to(secret)
    (models / "dir-link").symlink_to(secret.parent, target_is_directory=True)
    for path in ("card-link", "state-link", "deep-link", "dir-link"):
        body = {"version": path, "path": path}
        refused = api.client.post("/api/v1/models", json=body, headers=api.as_("analyst"))
        assert refused.status_code == 422, (path, refused.text)
        (detail,) = refused.json()["error"]["details"]
        assert detail["where"] == "body.path" and "outside the models directory" in detail["problem"], detail
        assert "hunter2" not in refused.text and str(tmp_path) not in refused.text
    (models / "fine" / "model_card.json").parent.mkdir()
    (models / "fine" / "model_card.json").write_text('{"model": "logistic"}', encoding="utf-8")
    (models / "fine" / "state.json").symlink_to(models / "state-link" / "model_card.json")  # a link inside: fine
    ok = api.client.post("/api/v1/models", json={"version": "1", "path": "fine"}, headers=api.as_("analyst"))
    assert ok.status_code == 201 and ok.json()["card"] == {"model": "logistic"}


def test_unknown_models_jobs_and_lists_are_404s_naming_them(api):
    cases = {
        ("post", "/api/v1/models/41/promote"): "model 41",
        ("post", "/api/v1/models/by-name/response/rollback"): None,  # nothing promoted yet: a conflict
        ("get", "/api/v1/jobs/no-such-job"): "job no-such-job",
        ("get", "/api/v1/lists/7/items"): "list 7",
        ("get", "/api/v1/campaigns/nope"): "campaign nope",
    }
    role = {"models": "analyst", "jobs": "analyst", "lists": "agent", "campaigns": "agent"}
    for (method, url), what in cases.items():
        headers = api.as_(role[url.split("/")[3]])
        answer = getattr(api.client, method)(url, headers=headers)
        if what is None:
            assert answer.status_code == 409 and "roll back" in answer.json()["error"]["message"]
        else:
            assert answer.status_code == 404, url
            assert what in answer.json()["error"]["message"] and answer.json()["error"]["message_zh"]


@pytest.mark.parametrize(("path", "says"), [("../elsewhere", "lies outside"), ("not-saved-yet", "no directory")])
def test_a_refused_model_path_names_the_directory_models_must_be_in_in_both_languages(api, tmp_path, path, says):
    (tmp_path / "elsewhere").mkdir(exist_ok=True)
    refused = api.client.post("/api/v1/models", json={"version": "1", "path": path}, headers=api.as_("analyst"))
    assert refused.status_code == 422, refused.text
    (detail,) = refused.json()["error"]["details"]
    assert detail["where"] == "body.path" and says in detail["problem"] and path in detail["problem"]
    assert "$CALLWISE_DATA_DIR/models" in detail["problem"] and "$CALLWISE_DATA_DIR/models" in detail["problem_zh"]
    assert "模型目录" in detail["problem_zh"] and str(api.services.models_dir) not in refused.text
