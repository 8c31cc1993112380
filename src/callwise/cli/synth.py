"""CLI: `callwise synth` — a synthetic bank with known ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    @app.command("synth", help="help.synth")
    def synth(
        out: Annotated[Path, typer.Option(help="help.synth.out")],
        customers: Annotated[int, typer.Option(min=100, help="help.synth.customers")] = 50_000,
        seed: Annotated[int, typer.Option(help="help.synth.seed")] = 7,
        fmt: Annotated[str, typer.Option("--format", help="help.synth.fmt")] = "parquet",
        channels: Annotated[bool, typer.Option("--channels", help="help.synth.channels")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="help.synth.as_json")] = False,
    ) -> None:
        """Write every contract table of a synthetic bank, and the truth behind it to OUT/_truth/."""
        from callwise.synth import synthesize

        try:
            manifest = synthesize(out, customers=customers, seed=seed, fmt=fmt, channels=channels)
        except ValueError as exc:
            fail(exc)
        rows = "\n".join(f"  {name:<18}{n:>12,}" for name, n in manifest["rows"].items())
        truth = t("cli.synth.truth", get_settings().lang, path=manifest["truth"])
        emit(manifest, as_json, human=f"{out}\n{rows}\n{truth}")
