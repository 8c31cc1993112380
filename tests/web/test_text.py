"""Text that is not Unicode (a lone surrogate such as ``"\\ud800"``) is a 422 on every route, wherever it is.

JSON may write a lone surrogate as an escape, and Python's parser accepts it; it then fails wherever text is
encoded (the database, the response, a log line). The routes with a JSON body are read from the app's OpenAPI
spec, and a body the route's own schema describes is sent with the surrogate in each string field in turn, in a
key, and deep inside; then in a query and a path parameter.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from callwise.clock import utcnow
from callwise.ops.db import transaction
from callwise.ops.users import create_user, issue_token
from callwise.security.rbac import Role
from tests.web.conftest import PASSWORD

API = "/api/v1"
LONE = "\ud800"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _example(spec: dict, schema: dict) -> Any:
    """A value of ``schema``, every property filled; text is plain ASCII until a probe puts a surrogate in."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(spec, s).get("type") != "null"]
            return _example(spec, options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {"free": {"type": "string"}}  # a free object gets one key
        return {name: _example(spec, sub) for name, sub in properties.items()}
    if kind == "array":
        return [_example(spec, schema.get("items", {"type": "string"}))]
    return {"integer": 1, "number": 1.0, "boolean": True, "string": "text"}.get(kind, "text")


def _strings(value: Any, where: tuple = ()) -> list[tuple]:
    """The path of every string in ``value``."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _strings(item, (*where, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _strings(item, (*where, i))]
    return [where] if isinstance(value, str) else []


def _with(value: Any, where: tuple, text: str) -> Any:
    if not where:
        return text
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[where[0]] = _with(copy[where[0]], where[1:], text)
    return copy


def _routes(spec: dict) -> list[tuple[str, str, dict]]:
    """(method, path, operation) for every operation in the spec."""
    return [(m.upper(), path, op) for path, operations in spec["paths"].items() for m, op in operations.items()]


def _json_bodies(spec: dict) -> list[tuple[str, str, Any]]:
    """(method, path, an example body) for every operation that takes a JSON body."""
    found = []
    for method, path, operation in _routes(spec):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            found.append((method, path, _example(spec, content["application/json"]["schema"])))
    return found


@pytest.fixture
def everyone(api) -> dict[str, str]:
    """A signed-in user holding every role, so no request stops at a permission before its body is read."""
    with transaction(api.services.factory) as session:
        user = create_user(session, "root", PASSWORD, list(Role), "setup", None)
        secret, _ = issue_token(session, "test", "session", None, utcnow() + timedelta(hours=1), user)
    return {"Authorization": f"Bearer {secret}"}


def _send(api, headers, method: str, path: str, body: Any):
    url = path.replace("{", "").replace("}", "")  # every path parameter is filled with its own name
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as the escape \\ud800
    return api.client.request(method, url, content=raw, headers={**headers, "content-type": "application/json"})


def _refused(response, where: str) -> str | None:
    """None when the response is the 422 that names ``where``; else what is wrong."""
    if response.status_code != 422:
        return f"{response.status_code} {response.text[:160]}"
    error = response.json()["error"]
    details = error["details"] or []
    if error["code"] != "validation" or not any(
        d["where"] == where and d.get("type") == "string_unicode" for d in details
    ):
        return f"422 without a detail at {where}: {details}"
    return None


def test_a_lone_surrogate_in_any_string_of_any_json_body_is_a_422_naming_the_field(api, everyone):
    bodies = _json_bodies(api.client.app.openapi())
    assert len(bodies) >= 8, [f"{m} {p}" for m, p, _ in bodies]
    wrong = []
    for method, path, body in bodies:
        assert isinstance(body, dict) and _strings(body), f"{method} {path}: no string in the body to probe"
        probes = [(_with(body, where, f"a{LONE}b"), "body." + ".".join(map(str, where))) for where in _strings(body)]
        probes += [({**body, f"k{LONE}": 1}, "body"), ({**body, "deep": [{"er": [LONE]}]}, "body.deep.0.er.0")]
        for probe, where in probes:
            problem = _refused(_send(api, everyone, method, path, probe), where)
            if problem:
                wrong.append(f"{method} {path} at {where}: {problem}")
    assert wrong == [], "\n".join(wrong)


def test_a_path_or_query_that_is_not_utf8_is_a_422_on_every_route(api, everyone):
    """%ED%A0%80 is U+D800 written as UTF-8 would write it: not UTF-8, so not text."""
    wrong = []
    for method, path, _ in _routes(api.client.app.openapi()):
        filled = re.sub(r"\{[^}]+\}", "%ED%A0%80", path) if "{" in path else None
        for url, where in ((filled, "path"), (f"{path}?q=%ED%A0%80".replace("{", "").replace("}", ""), "query.q")):
            if url is None:
                continue
            problem = _refused(api.client.request(method, url, headers=everyone), where)
            if problem:
                wrong.append(f"{method} {url}: {problem}")
    assert wrong == [], "\n".join(wrong)


def test_ordinary_text_and_surrogate_pairs_pass_untouched(api, everyone):
    """An emoji is a surrogate pair in a JSON escape: valid, so the route answers as usual."""
    body = json.dumps({"name": "dialer \U0001f600", "scopes": ["customers:read"]}).encode()  # "\ud83d\ude00"
    assert b"\\ud83d\\ude00" in body
    headers = {**api.as_("admin"), "content-type": "application/json"}
    assert api.client.post(f"{API}/auth/tokens", content=body, headers=headers).status_code == 201
    literal = json.dumps({"username": "x", "password": "\\ud800 is six characters"}).encode()  # a backslash, u…
    response = api.client.post(f"{API}/auth/login", content=literal, headers={"content-type": "application/json"})
    assert response.status_code == 401, response.text
