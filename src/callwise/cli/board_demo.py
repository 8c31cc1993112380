"""The demo board's lines on the command line: what `callwise demo` seeded and how to open it, and the demo users
`callwise serve --demo` made (their passwords printed here, once, on standard output: never to a log)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callwise.i18n import t

if TYPE_CHECKING:
    from callwise.demo_board import BoardData, DemoUser

BOARD_PATH = "/board/"


def board_url(host: str = "127.0.0.1", port: int = 8000) -> str:
    """The board's address for a server bound to ``host``: a wildcard bind is opened on this machine's loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{BOARD_PATH}"


def serve_command(out: Path) -> str:
    """The command that serves the demo in ``out``: ``callwise`` when that is the one on the PATH, else the
    executable beside this Python (``.venv/bin/callwise`` after ``make demo``)."""
    exe = Path(sys.executable).parent / "callwise"
    on_path = shutil.which("callwise")
    if not exe.exists() or (on_path is not None and Path(on_path).resolve() == exe.resolve()):
        program = "callwise"
    else:
        program = os.path.relpath(exe) if exe.is_relative_to(Path.cwd()) else str(exe)
    return f"{program} serve --demo {out}"


def board_summary(out: Path, data: BoardData | None) -> dict[str, Any]:
    """The ``board`` block of `callwise demo --json`: the command, the URL, and what was seeded (no passwords)."""
    summary: dict[str, Any] = {"serve": serve_command(out), "url": board_url(), "seeded": data is not None}
    if data is not None:
        summary.update(
            campaigns=list(data.campaign_ids),
            outcomes=data.outcomes,
            first_day=str(min(c.start for c in data.campaigns)),
            last_day=str(data.today.fromordinal(data.today.toordinal() - 1)),
            seconds=data.seconds,
        )
    return summary


def board_text(board: dict[str, Any], lang: str) -> str:
    """What was seeded, then the one command to run and the URL to open: the demo's last lines."""
    lines = []
    if board["seeded"]:
        values = {k: board[k] for k in ("first_day", "last_day", "seconds")}
        lines.append(
            t("board.demo.seeded", lang, campaigns=len(board["campaigns"]), outcomes=f"{board['outcomes']:,}", **values)
        )
    else:
        lines.append(t("board.demo.kept", lang))
    lines.append(t("board.demo.open", lang, command=board["serve"], url=board["url"]))
    return "\n".join(lines)


def users_text(users: Sequence[DemoUser], url: str, lang: str) -> str:
    """One line per demo user with their new password, and the board's URL."""
    lines = [t("board.demo.users", lang)]
    for user in users:
        scope = " ".join(user.teams) or user.agent_id or ""
        lines.append(
            t(
                "board.demo.user",
                lang,
                role=t(f"board.demo.role.{user.role}", lang),
                user=user.username,
                password=user.password,
                scope=f" ({scope})" if scope else "",
            )
        )
    lines.append(t("board.demo.url", lang, url=url))
    return "\n".join(lines)
