"""CLI: `callwise moments build | list | show | effect` — triggers, the moments table and each moment's effect."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

if TYPE_CHECKING:
    from callwise.moments import Triggers

TriggerFile = Annotated[Path | None, typer.Option("--triggers", help="help.moments.triggers")]
AsJson = Annotated[bool, typer.Option("--json", help="help.moments.as_json")]


def _triggers(path: Path | None) -> Triggers:
    from callwise.moments import TriggerError, default_triggers, load_triggers

    try:
        return default_triggers() if path is None else load_triggers(path)
    except TriggerError as error:
        fail(error)


def _as_of(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        fail(t("cli.moments.bad_as_of", get_settings().lang, value=repr(value)))


def _percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def register(app: typer.Typer) -> None:
    moments = typer.Typer(no_args_is_help=True, help="help.moments")
    app.add_typer(moments, name="moments")

    @moments.command("build", help="help.moments.build")
    def build(
        as_of: Annotated[str, typer.Option("--as-of", help="help.moments.build.as_of")],
        grain: Annotated[str, typer.Option("--grain", help="help.moments.build.grain")] = "daily",
        triggers: TriggerFile = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: AsJson = False,
    ) -> None:
        """Evaluate every trigger as of a time and write the lake table `moments`."""
        from callwise.moments import MomentsError, build_moments
        from callwise.tags import AudienceError, TagBuildError

        moment = _as_of(as_of)
        catalogue = _triggers(triggers)
        store = lake_on(lake, engine)
        try:
            done = build_moments(store, catalogue, moment, grain)
        except (FileNotFoundError, MomentsError, TagBuildError, AudienceError) as error:
            fail(error)
        result = done.to_dict() | {"triggers": len(catalogue)}
        lang = get_settings().lang
        lines = [t("cli.moments.built", lang, **result)]
        lines += [f"  {k:<26} {v}" for k, v in done.counts.items()]
        if done.skipped:
            lines.append(t("cli.moments.skipped", lang, triggers=", ".join(done.skipped)))
        emit(result, as_json, "\n".join(lines))

    @moments.command("list", help="help.moments.list")
    def list_triggers(triggers: TriggerFile = None, as_json: AsJson = False) -> None:
        """The catalogue's triggers, one a line."""
        lang = get_settings().lang
        catalogue = _triggers(triggers)
        rows = [
            {"id": x.id, "name": x.name(lang), "kind": x.kind, "validity": dict([x.validity.words()])}
            for x in catalogue
        ]
        human = "\n".join(
            f"{r['id']:<26} {r['kind']:<13} {_validity(r['validity'], lang):<10} {r['name']}" for r in rows
        )
        emit({"triggers": rows, "count": len(rows)}, as_json, human or t("cli.moments.none", lang))

    @moments.command("show", help="help.moments.show")
    def show(
        trigger_id: Annotated[str, typer.Argument(help="help.moments.show.trigger_id")],
        at: Annotated[str | None, typer.Option("--at", help="help.moments.show.at")] = None,
        triggers: TriggerFile = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: AsJson = False,
    ) -> None:
        """One trigger: its definition and how many customers have a live moment of it (counts only, no PII)."""
        from callwise.moments import UnknownTrigger

        lang = get_settings().lang
        catalogue = _triggers(triggers)
        try:
            found = catalogue.get(trigger_id)
        except UnknownTrigger as error:
            fail(error)
        shown: dict[str, Any] = found.describe()
        store = lake_on(lake, engine)
        shown["moments"] = _counts(store, found.id, _as_of(at) if at is not None else None)
        lines = [f"{found.id} — {found.name(lang)}", found.description(lang)]
        counted = shown["moments"]
        if counted is None:
            lines.append(t("cli.moments.no_table", lang))
        else:
            lines.append(
                f"{t('cli.moments.as_of', lang)} {counted['as_of']} ({counted['grain']}), "
                f"{t('cli.moments.live', lang)} {counted['at']}: {counted['live']} {t('cli.moments.customers', lang)}"
            )
        emit(shown, as_json, "\n".join(lines))

    @moments.command("effect", help="help.moments.effect")
    def effect(
        campaign_id: Annotated[str, typer.Argument(help="help.moments.effect.campaign_id")],
        window_days: Annotated[
            int, typer.Option("--window-days", min=1, max=365, help="help.moments.effect.window_days")
        ] = 30,
        alpha: Annotated[float, typer.Option("--alpha", min=0.001, max=0.5, help="help.moments.effect.alpha")] = 0.05,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        db: Annotated[bool, typer.Option("--db/--no-db", help="help.moments.effect.db")] = True,
        as_json: AsJson = False,
    ) -> None:
        """Per moment of a triggered campaign: treatment and control, conversion rates, difference and interval."""
        from callwise.cli.results import _ops_engine
        from callwise.moments import MomentsError
        from callwise.moments.effect import moment_effect
        from callwise.results.errors import ResultsError

        lang = get_settings().lang
        store = lake_on(lake, engine)
        try:
            with _ops_engine(db) as ops_engine:
                result = moment_effect(store, campaign_id, window_days, alpha, ops_engine)
        except (MomentsError, ResultsError, FileNotFoundError) as error:
            fail(error)
        lines = [t("cli.moments.effect_header", lang)]
        for row in result["moments"]:
            diff = row["difference"]
            shown = "-" if diff is None else f"{100 * diff['estimate']:+.2f} pp [{100 * diff['low']:+.2f}, "
            shown += "" if diff is None else f"{100 * diff['high']:+.2f}]"
            small = f" ({t('cli.moments.small', lang)})" if row["small"] else ""
            lines.append(
                f"{row['moment_id']} | {row['n_treatment']} | {row['n_control']} | {_percent(row['rate_treatment'])}"
                f" | {_percent(row['rate_control'])} | {shown}{small}"
            )
        emit(result, as_json, "\n".join(lines))


def _validity(validity: dict[str, int], lang: str) -> str:
    unit, n = next(iter(validity.items()))
    return t(f"board.moments.{unit}" if n != 1 else f"board.moments.one_{unit[:-1]}", lang, n=n)


def _counts(lake: Any, trigger_id: str, at: datetime | None) -> dict[str, Any] | None:
    """How many customers have a live moment of the trigger at ``at`` (default: the table's as-of time)."""
    from callwise.moments import TABLE, built_at, live_moments

    built = built_at(lake)
    if built is None:
        return None
    when = at or built.as_of
    table = lake.table(TABLE)
    live = live_moments(table, when, [trigger_id])
    total = int(table.filter(table.moment_id == trigger_id).count().to_pyarrow().as_py())
    return {
        "as_of": built.as_of.isoformat(),
        "grain": built.grain,
        "at": when.isoformat(),
        "live": int(live.count().to_pyarrow().as_py()),
        "in_table": total,
    }
