"""CLI: `callwise monitor` (stability, weekly performance, decay verdict) and `callwise retrain [--challenge]`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

LakeOpt = Annotated[Path | None, typer.Option("--lake", help="help.opt.lake")]
DbOpt = Annotated[str | None, typer.Option("--db", help="help.opt.db_url")]
NameOpt = Annotated[str, typer.Option("--name", help="help.monitor.name")]
JsonOpt = Annotated[bool, typer.Option("--json", help="help.monitor.json")]


def _active_path(db: str | None, name: str) -> Path:
    from callwise.cli._ops import operational_db
    from callwise.monitor.challenger import active_model

    with operational_db(db) as factory:
        found = active_model(factory, name)
    if found is None:
        fail(t("monitor.no_model", get_settings().lang, name=name))
    return Path(found[1])


def monitor_text(result: dict[str, Any], lang: str) -> str:
    """The human report of :func:`callwise.monitor.lake.monitor_lake`."""
    last = result["weeks"][-1]
    lines = [
        t("monitor.text.header", lang, model=result["model"], card_auc=last["card_auc"]),
        t("monitor.text.reference", lang, rows=result["reference_rows"], source=result["reference_source"]),
    ]
    for row in last["stability"]:
        alarm = t("monitor.text.alarm", lang) if row["alarm"] else ""
        lines.append(
            t("monitor.text.stability_row", lang, **{k: v for k, v in row.items() if k != "alarm"}, alarm=alarm)
        )
    for week in result["weeks"]:
        perf = week["performance"] or {}
        values = {
            k: perf.get(k) for k in ("n", "positives", "auc", "auc_low", "auc_high", "mean_predicted", "observed")
        }
        lines.append(t("monitor.text.week", lang, week=week["week"], lift=perf.get("top_decile_lift"), **values))
    if result["retrain"]:
        first = next(w for w in result["weeks"] if w["retrain"])
        lines.append(t("monitor.text.verdict_retrain", lang, week=first["week"], reasons=", ".join(first["reasons"])))
    else:
        lines.append(t("monitor.text.verdict_ok", lang))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("monitor", help="help.monitor")
    def monitor(
        lake: LakeOpt = None,
        model: Annotated[Path | None, typer.Option("--model", help="help.monitor.model")] = None,
        db: DbOpt = None,
        name: NameOpt = "response",
        since: Annotated[datetime | None, typer.Option("--since", help="help.monitor.since")] = None,
        horizon_days: Annotated[int, typer.Option(min=1, help="help.train.horizon_days")] = 30,
        engine: EngineName = None,
        as_json: JsonOpt = False,
    ) -> None:
        """PSI/CSI against the training population, weekly AUC/calibration/lift, decay verdict and trigger."""
        from callwise.models import ModelFileError
        from callwise.monitor.lake import monitor_lake

        directory = model if model is not None else _active_path(db, name)
        try:
            result = monitor_lake(lake_on(lake, engine), directory, since, horizon_days)
        except (ModelFileError, FileNotFoundError, ValueError) as exc:
            fail(exc)
        emit(result, as_json, human=monitor_text(result, get_settings().lang))

    @app.command("retrain", help="help.retrain")
    def retrain(
        out: Annotated[Path, typer.Option("--out", help="help.retrain.out")],
        challenge: Annotated[bool, typer.Option("--challenge", help="help.retrain.challenge")] = False,
        lake: LakeOpt = None,
        model: Annotated[Path | None, typer.Option("--model", help="help.retrain.champion")] = None,
        db: DbOpt = None,
        name: NameOpt = "response",
        version: Annotated[str | None, typer.Option("--version", help="help.retrain.version")] = None,
        margin: Annotated[float, typer.Option("--margin", help="help.retrain.margin")] = 0.0,
        seed: Annotated[int, typer.Option("--seed", help="help.opt.seed")] = 0,
        horizon_days: Annotated[int, typer.Option(min=1, help="help.train.horizon_days")] = 30,
        engine: EngineName = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Train on the latest window; with --challenge compare with the champion and promote or refuse."""
        lang = get_settings().lang
        store = lake_on(lake, engine)
        if not challenge:
            from callwise.pipeline import train_from_lake

            try:
                _, card = train_from_lake(store, "lightgbm", out, horizon_days, seed)
            except (FileNotFoundError, ValueError) as exc:
                fail(exc)
            emit(dict(card, out=str(out)), as_json)
            return
        from callwise.cli._ops import ACTOR, operational_db
        from callwise.models import ModelFileError
        from callwise.monitor.lake import challenge_on_lake

        champion = model if model is not None else _active_path(db, name)
        with operational_db(db) as factory:
            try:
                result = challenge_on_lake(
                    store,
                    champion,
                    out,
                    factory,
                    name,
                    version,
                    horizon_days=horizon_days,
                    margin=margin,
                    seed=seed,
                    actor=ACTOR,
                )
            except (ModelFileError, FileNotFoundError, ValueError) as exc:
                fail(exc)
        text = [
            t(
                "monitor.text.challenge",
                lang,
                **{k: result[k] for k in ("challenger", "difference", "low", "high", "margin")},
            )
        ]
        text.append(
            t("monitor.text.promoted" if result["promoted"] else "monitor.text.refused", lang, active=result["active"])
        )
        emit(result, as_json, human="\n".join(text))
