"""The service against its own OpenAPI spec: generated requests to every operation, checked by schemathesis.

A dialer or CRM team writes its client from ``/api/v1/openapi.json``; whatever the spec allows must never
crash the service (no 5xx), and every answer must look the way the spec says it does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from callwise.clock import utcnow
from callwise.ops.db import make_engine, session_factory, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import Customer
from callwise.ops.users import create_user, issue_token
from callwise.security.rbac import Role
from callwise.web.app import create_app
from callwise.web.deps import Services
from tests.web.live_server import Keys

MAX_EXAMPLES = 25

# The spec is read once at import time, from the app the tests then call: schemathesis' fixture-based loader
# does not run on pytest 9. Each test swaps fresh services (its own database) into this app.
APP = create_app(Services(engine=None, factory=None, pii=None), max_body_bytes=200_000)  # type: ignore[arg-type]
# Every built-in check, but: "schema-valid data is accepted" is off, because whether a phone is a mobile number,
# a models directory exists or an A/B split sums to 1 is for the service to check and JSON Schema cannot say;
# and 413 counts as rejecting invalid data (a batch over its item limit is also over the body-size limit).
CHECKS = {
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "422"]},
}
schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json", APP, config=SchemathesisConfig.from_dict({"checks": CHECKS})
)
# Reading the spec started the app's lifespan (and its job worker) on the placeholder services: end it now. Each
# test's calls start it again on that test's services, and schemathesis ends it when the test ends.
asgi.shutdown_lifespans()


@pytest.fixture
def auth(tmp_path):
    """Services on a migrated SQLite file with a few customers; the headers of a user holding every role (a
    person: a machine token never holds users:admin)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    pii = Keys.new().pii()
    services = Services(engine=engine, factory=session_factory(engine), pii=pii, models_dir=tmp_path / "models")
    with transaction(services.factory) as session:
        user = create_user(session, "root", "Correct-Horse-42", list(Role), "setup", None)
        secret, _ = issue_token(session, "everything", "session", None, utcnow() + timedelta(hours=1), user)
        for cid, phone in {"C1": "13800138001", "C2": "13900139002"}.items():
            session.add(
                Customer(
                    customer_id=cid,
                    phone_enc=pii.seal(cid, "phone", phone),
                    phone_lookup=pii.lookup(phone),
                    consent_marketing=True,
                )
            )
    before, APP.state.services = APP.state.services, services
    yield {"Authorization": f"Bearer {secret}"}
    APP.state.services = before
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_to_the_spec_and_never_fails_with_5xx(case, auth):
    case.call_and_validate(headers=auth)


# What the spec run found, pinned one by one so it cannot come back unnoticed.


@pytest.fixture
def client(auth):
    with TestClient(APP, raise_server_exceptions=False, headers=auth) as client:
        yield client


def test_every_error_status_in_the_spec_carries_the_service_error_body():
    spec = APP.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's default, never sent
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
            assert {"413", "422", "503"} <= set(errors), f"{method} {path}"
            if path not in ("/api/v1/health", "/api/v1/auth/login"):
                assert "401" in errors, f"{method} {path} needs a login but does not say so"
            for status, response in errors.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), f"{method} {path} {status}"


def test_ids_beyond_any_column_are_refused_as_invalid_not_a_crash(client):
    for method, path in [
        ("GET", "/api/v1/lists/9223372036854775808/items"),
        ("POST", "/api/v1/models/9223372036854775808/promote"),
        ("DELETE", "/api/v1/auth/tokens/9223372036854775808"),
        ("GET", "/api/v1/lists/0/items"),
        ("POST", "/api/v1/models/-1/promote"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["error"]["details"][0]["where"].startswith("path.")


def test_a_model_path_with_a_nul_byte_is_refused_with_a_sentence(client, tmp_path):
    (tmp_path / "models").mkdir()
    response = client.post("/api/v1/models", json={"version": "1", "path": "m\u00001"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"where": "body.path", "problem": "not a usable directory name"}]


def test_a_body_that_is_not_utf8_is_a_validation_error_like_broken_json(client):
    for body in ('{"outcomes": ["客户"]}'.encode("gbk"), b'{"outcomes": ["caf\xe9"]}'):
        response = client.post("/api/v1/outcomes", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation" and error["message_zh"]
        assert error["details"][0]["where"] == "body" and "UTF-8" in error["details"][0]["problem"]


def test_a_body_streamed_past_the_limit_is_413_even_without_a_length(client):
    chunk = b'{"outcomes": [' + b" " * 50_000

    def stream():  # no Content-Length: the limit can only be seen while the bytes arrive
        yield chunk
        for _ in range(5):
            yield b" " * 50_000

    response = client.post("/api/v1/outcomes", content=stream(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large" and "200000" in response.json()["error"]["message"]
    small = client.post(
        "/api/v1/outcomes", content=iter([b'{"outcomes": []}']), headers={"content-type": "application/json"}
    )
    assert small.status_code == 422  # under the limit a streamed body is read as usual


def test_405_names_every_method_the_path_serves(client):
    for method, path, allowed in [
        ("PATCH", "/api/v1/users", "GET, POST"),
        ("DELETE", "/api/v1/outcomes", "GET, POST"),
        ("PUT", "/api/v1/customers/C1", "DELETE, GET"),
        ("GET", "/api/v1/auth/tokens", "POST"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allowed
        assert response.json()["error"]["code"] == "method_not_allowed"
