"""CLI: `callwise results agents` — activity and the fair score per agent and team (see callwise.results.agents)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail


def register_agents(results: typer.Typer) -> None:
    @results.command("agents", help="help.results.agents")
    def agents_command(
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        campaign: Annotated[list[str] | None, typer.Option(help="help.results.agents.campaign")] = None,
        since: Annotated[str | None, typer.Option(help="help.results.agents.since")] = None,
        until: Annotated[str | None, typer.Option(help="help.results.agents.until")] = None,
        team: Annotated[str | None, typer.Option(help="help.results.agents.team")] = None,
        calibration: Annotated[str, typer.Option(help="help.results.agents.calibration")] = "logistic",
        min_connects: Annotated[int, typer.Option(help="help.results.agents.min_connects")] = 30,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.results.agents.as_json")] = False,
    ) -> None:
        """Per agent and team: dials, connects, talk time, conversions, complaints and the fair score."""
        from callwise.results.agents import AgentsError, agent_performance, read_lake_inputs, until_of
        from callwise.results.agents_text import agents_text
        from callwise.settings import get_settings

        first, last = _day(since, "--since"), _day(until, "--until")
        store = lake_on(lake, engine)
        try:
            calls, members, roster = read_lake_inputs(store, campaign)
            result = agent_performance(
                calls,
                members,
                agents=roster,
                campaigns=campaign,
                since=first,
                until=None if last is None else until_of(last),
                team=team,
                calibration=calibration,
                min_connects=min_connects,
            )
        except AgentsError as exc:
            fail(exc)
        emit(result, as_json, human=agents_text(result, get_settings().lang))


def _day(value: str | None, option: str) -> date | None:
    from callwise.i18n import t
    from callwise.settings import get_settings

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(t("results_agents.bad_date", get_settings().lang, option=option, value=value))
