"""CLI: `callwise results campaign | agents` — what a campaign earned against its control group, and who earned it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    results = typer.Typer(no_args_is_help=True, help="help.results")
    app.add_typer(results, name="results")

    @results.command("campaign", help="help.results.campaign")
    def campaign(
        campaign_id: Annotated[str, typer.Argument(help="help.results.campaign.campaign_id")],
        window_days: Annotated[
            int, typer.Option("--window-days", min=1, max=365, help="help.results.campaign.window_days")
        ] = 30,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        db: Annotated[bool, typer.Option("--db/--no-db", help="help.results.campaign.db")] = True,
        campaign_file: Annotated[Path | None, typer.Option(help="help.results.campaign.campaign_file")] = None,
        cost_per_call: Annotated[float | None, typer.Option(help="help.results.campaign.cost_per_call")] = None,
        cost_per_minute: Annotated[float | None, typer.Option(help="help.results.campaign.cost_per_minute")] = None,
        cost_per_sms: Annotated[float | None, typer.Option(help="help.results.campaign.cost_per_sms")] = None,
        html: Annotated[Path | None, typer.Option(help="help.results.campaign.html")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """ITT lift, incremental conversions and revenue, costs, ROI, harm and breakdowns, each with its interval."""
        from callwise.configfile import ConfigError
        from callwise.i18n import t
        from callwise.results.campaign import results_for
        from callwise.results.errors import ResultsError
        from callwise.results.report import render_results
        from callwise.results.text import results_text

        lang = get_settings().lang
        overrides = {"cost_per_call": cost_per_call, "cost_per_minute": cost_per_minute, "cost_per_sms": cost_per_sms}
        store = lake_on(lake, engine)
        try:
            with _ops_engine(db) as ops_engine:
                result = results_for(campaign_id, store, window_days, ops_engine, campaign_file, overrides)
        except (ResultsError, ConfigError, ValueError) as exc:
            fail(exc)
        human = results_text(result, lang)
        if html is not None:
            html.mkdir(parents=True, exist_ok=True)
            reports = {language: html / f"results_{campaign_id}_{language}.html" for language in ("zh", "en")}
            for language, path in reports.items():
                path.write_text(render_results(result, language), encoding="utf-8")
                human += "\n" + t("results.cli.report_written", lang, path=path)
            result = {**result, "reports": {language: str(path) for language, path in reports.items()}}
        emit(result, as_json, human=human)

    from callwise.cli.results_agents import register_agents

    register_agents(results)


@contextmanager
def _ops_engine(wanted: bool) -> Iterator[Engine | None]:
    """The operational database when there is one (its URL set, or its SQLite file present), else nothing."""
    settings = get_settings()
    if not wanted or (settings.db_url is None and not (settings.data_dir / "callwise.db").exists()):
        yield None
        return
    from callwise.cli._ops import operational_db

    with operational_db() as factory:
        yield factory.kw["bind"]
