"""CLI: `callwise keys new / rotate` — make a key; re-encrypt the operational DB under the current key."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    keys = typer.Typer(no_args_is_help=True, help="help.keys")
    app.add_typer(keys, name="keys")

    @keys.command("new", help="help.keys.new")
    def new() -> None:
        """Print a fresh random 256-bit key in base64 (for CALLWISE_PII_KEYS entries or CALLWISE_LOOKUP_KEY)."""
        from callwise.security.crypto import new_key

        typer.echo(new_key())

    @keys.command("rotate", help="help.keys.rotate")
    def rotate(
        batch: Annotated[int, typer.Option(min=1, max=100_000, help="help.keys.rotate.batch")] = 1000,
        as_json: Annotated[bool, typer.Option("--json", help="help.keys.rotate.as_json")] = False,
    ) -> None:
        """Re-encrypt every value not yet under the first key of CALLWISE_PII_KEYS; resumable, audited once."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.keys import RotationError, rotate_keys
        from callwise.security.crypto import PiiCipher
        from callwise.security.errors import KeyConfigError
        from callwise.settings import get_settings

        try:
            cipher = PiiCipher.from_settings(get_settings())
        except KeyConfigError as error:
            fail(error)
        with operational_db() as factory:
            try:
                report = rotate_keys(factory, cipher, batch=batch, actor=ACTOR)
            except RotationError as error:
                fail(error)
        result = {**report.to_dict(), "key_id": cipher.current_key_id}
        human = t(
            "cli.keys.rotated",
            lang(),
            checked=f"{report.rows_checked:,}",
            reencrypted=f"{report.rows_reencrypted:,}",
            key_id=cipher.current_key_id,
        )
        emit(result, as_json, human=human)
