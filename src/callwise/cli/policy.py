"""CLI: `callwise policy check` — validate a contact policy file and show it rule by rule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail


def register(app: typer.Typer) -> None:
    policy = typer.Typer(no_args_is_help=True, help="help.policy")
    app.add_typer(policy, name="policy")

    @policy.command("check", help="help.policy.check")
    def check(
        file: Annotated[Path | None, typer.Argument(help="help.policy.check.file")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.policy.check.as_json")] = False,
    ) -> None:
        """Validate a policy file (refused with the line and the reason) and print every rule in words."""
        from callwise.policy import PolicyError, default_policy, describe_policy, load_policy
        from callwise.settings import get_settings

        try:
            loaded = load_policy(file) if file is not None else default_policy()
        except PolicyError as exc:
            fail(str(exc))
        result = {**loaded.audit(), "rules": loaded.model_dump(mode="json")["rules"]}
        emit(result, as_json, human="\n".join(describe_policy(loaded, get_settings().lang)))
