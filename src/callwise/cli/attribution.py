"""CLI: `callwise attribution report` — which channels earned the conversions, beside the control group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    attribution = typer.Typer(no_args_is_help=True, help="help.attribution")
    app.add_typer(attribution, name="attribution")

    @attribution.command("report", help="help.attribution.report")
    def report(
        campaign: Annotated[str | None, typer.Option("--campaign", help="help.attribution.report.campaign")] = None,
        lookback_days: Annotated[
            int, typer.Option("--lookback-days", min=1, max=365, help="help.attribution.report.lookback_days")
        ] = 30,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """Every attribution method's share per channel, the control group's increment, and the warnings."""
        from callwise.attribution.errors import AttributionError
        from callwise.attribution.report import attribution_report
        from callwise.attribution.text import report_text

        store = lake_on(lake, engine)
        try:
            result = attribution_report(store, campaign, lookback_days)
        except (AttributionError, FileNotFoundError) as exc:
            fail(exc)
        emit(result, as_json, human=report_text(result, get_settings().lang))
