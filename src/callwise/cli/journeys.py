"""CLI: `callwise journeys load | enter | run | status` — thin commands over :mod:`callwise.journeys`."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    journeys = typer.Typer(no_args_is_help=True, help="help.journeys")
    app.add_typer(journeys, name="journeys")

    @journeys.command("load", help="help.journeys.load")
    def load(
        file: Annotated[Path, typer.Argument(help="help.journeys.load.file")],
        as_json: Annotated[bool, typer.Option("--json", help="help.journeys.load.as_json")] = False,
    ) -> None:
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.journeys.definition import JourneyError, load_journey
        from callwise.journeys.store import save_journey

        try:
            journey = load_journey(file)
        except JourneyError as error:
            fail(error)
        with operational_db() as factory:
            loaded = save_journey(factory, journey, ACTOR)
        result = {"journey_id": loaded.journey_id, "version": loaded.version, "new": loaded.new}
        status = t("journeys.status.new" if loaded.new else "journeys.status.same", lang())
        emit(
            result,
            as_json,
            t("journeys.loaded", lang(), journey=loaded.journey_id, version=loaded.version, status=status),
        )

    @journeys.command("enter", help="help.journeys.enter")
    def enter_(
        journey_id: Annotated[str, typer.Argument(help="help.journeys.enter.journey")],
        at: Annotated[str | None, typer.Option("--at", help="help.journeys.enter.at")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.journeys.enter.as_json")] = False,
    ) -> None:
        from callwise.cli._ops import lang, operational_db
        from callwise.journeys.entry import EntryError, entry_customers
        from callwise.journeys.store import UnknownJourney, enter, journey_version, newest_version
        from callwise.settings import get_settings
        from callwise.wiring import lake_from_settings

        settings = get_settings()
        when = _when(at, settings.timezone)
        with operational_db() as factory:
            try:
                with factory() as session:
                    journey = journey_version(session, journey_id, newest_version(session, journey_id))
                    wall = when.astimezone(ZoneInfo(settings.timezone))
                    customers = entry_customers(journey, wall, lake_from_settings(settings), session)
                report = enter(factory, journey_id, customers, when)
            except UnknownJourney:
                fail(t("journeys.unknown", lang(), journey=journey_id))
            except EntryError as error:
                fail(error)
        result = {
            "journey_id": report.journey_id,
            "version": report.version,
            "entered": report.entered,
            "already": report.already,
            "unknown": report.unknown,
        }
        emit(result, as_json, t("journeys.entered", lang(), journey=journey_id, **_counts(result)))

    @journeys.command("run", help="help.journeys.run")
    def run(
        once: Annotated[bool, typer.Option("--once", help="help.journeys.run.once")] = False,
        interval: Annotated[float, typer.Option(min=0.5, help="help.journeys.run.interval")] = 10.0,
        as_json: Annotated[bool, typer.Option("--json", help="help.journeys.run.as_json")] = False,
    ) -> None:
        from callwise.cli._ops import lang, operational_db
        from callwise.journeys.worker import RunReport
        from callwise.settings import get_settings
        from callwise.wiring import ServiceConfigError, senders_from_settings

        settings = get_settings()
        try:
            senders = senders_from_settings(settings)
        except (ServiceConfigError, ValueError) as error:
            fail(error)
        total = RunReport()
        with operational_db() as factory:
            worker = _worker(factory, senders, settings, interval)
            if once:
                total = worker.run_once()
            else:
                stop = threading.Event()
                try:
                    total = worker.run_forever(stop)
                except KeyboardInterrupt:
                    stop.set()
        result = {k: getattr(total, k) for k in ("claimed", "steps", "queued", "refused", "exited", "sent", "dead")}
        emit(result, as_json, t("journeys.ran", lang(), **_counts(result)))

    @journeys.command("status", help="help.journeys.status")
    def status(
        journey_id: Annotated[str | None, typer.Argument(help="help.journeys.status.journey")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.journeys.status.as_json")] = False,
    ) -> None:
        from callwise.cli._ops import lang, operational_db
        from callwise.journeys.status import journey_status

        with operational_db() as factory, factory() as session:
            found = journey_status(session, journey_id)
        if journey_id is not None and not found:
            fail(t("journeys.unknown", lang(), journey=journey_id))
        lines = []
        for j in found:
            for state, counts in (("active", j["active"]), ("exits", j["exits"])):
                for step, n in sorted(counts.items()):
                    word = t(f"journeys.state.{state}", lang())
                    lines.append(
                        t(
                            "journeys.status.line",
                            lang(),
                            journey=j["journey_id"],
                            version=j["version"],
                            step=step,
                            state=word,
                            count=n,
                        )
                    )
        emit({"journeys": found}, as_json, "\n".join(lines) or t("journeys.status.none", lang()))


def _when(at: str | None, bank_timezone: str) -> datetime:
    from callwise.clock import utcnow

    if at is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        from callwise.cli._ops import lang

        fail(t("journeys.bad_time", lang(), value=at[:60]))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(bank_timezone))


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "journey_id" and k != "version"}


def _worker(factory: Any, senders: Any, settings: Any, interval: float) -> Any:
    from callwise.journeys.gate import OpsOnly, lake_facts
    from callwise.journeys.worker import JourneyWorker, WorkerConfig
    from callwise.wiring import lake_from_settings, policy_from_settings

    policy = policy_from_settings(settings)
    lake = lake_from_settings(settings)
    config = WorkerConfig(poll_s=interval, bank_timezone=settings.timezone)
    if lake is None:
        return JourneyWorker(factory, policy, senders, facts=OpsOnly(), config=config)
    return JourneyWorker(
        factory, policy, senders, config=config, refresh_facts=lambda at, ids: lake_facts(lake, policy, at, ids)
    )
