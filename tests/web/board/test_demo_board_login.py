"""The seeded demo board is one a service serves: every demo user signs in through the board's login form with the
password `seed_board` returned, and is sent on from `/`; a wrong password is refused."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from callwise.demo_board import seed_board
from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import upgrade
from callwise.web.app import create_app
from callwise.web.deps import Services
from tests.web.board.conftest import csrf_of, sign_in


def test_every_demo_user_signs_in_to_the_seeded_board(small_bank, session_pii, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    try:
        seed = seed_board(engine, small_bank["lake"], small_bank["bank"], seed=7, today=date(2026, 11, 30))
        services = Services(
            engine=engine,
            factory=session_factory(engine),
            pii=session_pii,
            lake=small_bank["lake"],
            models_dir=tmp_path / "models",
        )
        app = create_app(services, max_body_bytes=200_000)
        for user in seed.users:
            client = sign_in(app, user.username, user.password)
            assert client.get("/").status_code in (200, 303)
        wrong = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        page = wrong.get("/login")
        answer = wrong.post(
            "/login",
            data={"username": seed.users[0].username, "password": "not-it-1", "csrf_token": csrf_of(page.text)},
        )
        assert answer.status_code != 303
    finally:
        engine.dispose()
