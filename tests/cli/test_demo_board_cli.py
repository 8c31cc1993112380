"""`callwise demo` ends with a board to open: it seeds the board into its service database and prints the one
command that serves it and the URL; `--json` stays one JSON document with the same, and holds no password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from callwise.cli import app
from callwise.ops.db import make_engine, session_factory
from callwise.ops.models import CallOutcome, User

URL = "http://127.0.0.1:8000/board/"


def _demo(out: Path, *more: str):
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CALLWISE_PII_KEYS", "CALLWISE_LOOKUP_KEY", "CALLWISE_DB_URL", "CALLWISE_DATA_DIR"):
            mp.delenv(name, raising=False)
        mp.setenv("CALLWISE_LANG", "en")
        return CliRunner().invoke(app, ["demo", "--out", str(out), "--customers", "1000", "--seed", "3", *more])


def test_demo_seeds_the_board_and_ends_with_the_command_that_serves_it(tmp_path):
    out = tmp_path / "demo-output"
    first = _demo(out, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)  # standard output is one JSON document (the key ring line is on stderr)
    board = summary["board"]
    assert board["serve"].endswith(f"serve --demo {out}") and board["url"] == URL and board["seeded"]
    assert len(board["campaigns"]) == 3 and board["outcomes"] > 0
    assert "password" not in first.stdout.lower()  # no user exists yet: serve --demo makes them

    engine = make_engine(f"sqlite:///{out / 'callwise.db'}")
    try:
        with session_factory(engine)() as session:
            journeys = CallOutcome.idempotency_key.like("demo-journey:%")  # the example journey's own calls
            dialled = select(func.count()).select_from(CallOutcome).where(~journeys)
            assert session.scalar(dialled) == board["outcomes"]
            assert session.scalar(select(func.count()).select_from(CallOutcome).where(journeys)) > 0
            assert session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        engine.dispose()

    # Again into the same folder: the board is kept, and the human output still ends with the command and URL.
    again = _demo(out)
    assert again.exit_code == 0, again.output
    last = again.stdout.strip().splitlines()
    assert "already and was kept" in last[-2]
    assert last[-1].startswith("to open the board: run ") and f"serve --demo {out}, then go to {URL}" in last[-1]
