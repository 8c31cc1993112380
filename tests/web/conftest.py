"""An API client on a real, migrated database (SQLite and PostgreSQL) with one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from callwise.clock import utcnow
from callwise.ops.customers import Pii
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import Customer
from callwise.ops.users import create_user, issue_token
from callwise.security.rbac import Role
from callwise.web.app import create_app
from callwise.web.deps import Services

PASSWORD = "Correct-Horse-42"
PHONES = {"C1": "13800138001", "C2": "13900139002", "C3": "13700137003"}


@dataclass
class Api:
    client: TestClient
    services: Services
    tokens: dict[str, str]  # role → bearer secret

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def pii(session_pii) -> Pii:
    return session_pii  # the keys the test lakes were sealed with


@pytest.fixture(scope="session")
def saved_model(small_bank, tmp_path_factory):
    """A response model trained on the small bank, saved as a registry directory ``response-v1``."""
    from callwise.pipeline import train_from_lake

    model, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=3)
    directory = tmp_path_factory.mktemp("models") / "response-v1"
    model.save(directory, card={"note": "test"})
    return directory


@pytest.fixture
def api(db_engine, pii, tmp_path) -> Api:
    services = Services(engine=db_engine, factory=session_factory(db_engine), pii=pii, models_dir=tmp_path / "models")
    tokens = {}
    with transaction(services.factory) as s:
        for role in Role:
            user = create_user(s, f"{role.value}1", PASSWORD, [role.value], "setup", None)
            tokens[role.value], _ = issue_token(s, "test", "session", None, utcnow() + timedelta(hours=1), user)
        for cid, phone in PHONES.items():
            s.add(
                Customer(
                    customer_id=cid,
                    phone_enc=pii.seal(cid, "phone", phone),
                    phone_lookup=pii.lookup(phone),
                    name_enc=pii.seal(cid, "name", "张三丰"),
                    consent_marketing=True,
                )
            )
    # Entered, so the app's lifespan runs: it starts this process's job worker and stops it at the end.
    with TestClient(create_app(services, max_body_bytes=200_000), raise_server_exceptions=False) as client:
        yield Api(client, services, tokens)
