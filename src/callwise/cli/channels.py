"""CLI: `callwise lists channels` — per customer call, a message channel or nothing, under capacities and a budget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings


def register_channels(lists: typer.Typer) -> None:
    @lists.command("channels", help="help.lists.channels")
    def channels(
        campaign: Annotated[Path, typer.Option(help="help.lists.channels.campaign")],
        out: Annotated[Path, typer.Option(help="help.lists.channels.out")],
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        model: Annotated[Path | None, typer.Option(help="help.lists.build.model")] = None,
        policy: Annotated[Path | None, typer.Option(help="help.lists.build.policy")] = None,
        engine: EngineName = None,
        record: Annotated[bool, typer.Option("--record/--no-record", help="help.lists.channels.record")] = True,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """Choose each customer's channel by expected incremental value minus cost, then write the plan."""
        from callwise.channels.output import write_channel_plan
        from callwise.channels.plan import plan_channels
        from callwise.lists.build import ListError, load_ranking_model
        from callwise.lists.campaign import CampaignError, load_campaign
        from callwise.models import ModelFileError
        from callwise.policy import PolicyError, load_policy
        from callwise.timing import AnswerModelFileError, TimingError
        from callwise.uplift import UpliftFileError

        try:
            spec = load_campaign(campaign)
            model_dir = model or spec.model
            ranking = load_ranking_model(spec, model_dir) if model_dir is not None else None
            rules = load_policy(policy) if policy is not None else None
            store = lake_on(lake, engine)
            plan = plan_channels(spec, store, ranking, rules)
        except (
            CampaignError,
            ListError,
            PolicyError,
            TimingError,
            AnswerModelFileError,
            ModelFileError,
            UpliftFileError,
            FileNotFoundError,
        ) as exc:
            fail(exc)
        files = write_channel_plan(plan, out, spec.lang)
        summary: dict[str, Any] = {**plan.summary, "files": files}
        if record and plan.calls is not None:  # the call list's members, control included, as `lists build` does
            from callwise.results.record import record_members

            summary["members_recorded"] = record_members(store, plan.calls).to_dict()
        emit(summary, as_json, human=plan_text(summary, get_settings().lang))


def plan_text(summary: dict[str, Any], lang: str) -> str:
    chosen = summary["customers"] - summary["no_channel"]
    lines = [
        t(
            "channels.cli.summary",
            lang,
            customers=summary["customers"],
            chosen=chosen,
            conversions=summary["expected_incremental_conversions"],
            cost=summary["cost"],
            gap=summary["optimiser"]["gap"],
        )
    ]
    for name, part in summary["per_channel"].items():
        capacity = part["capacity"] if part["capacity"] is not None else t("channels.cli.unlimited", lang)
        lines.append(
            t(
                "channels.cli.channel",
                lang,
                channel=name,
                chosen=part["chosen"],
                capacity=capacity,
                cost=part["cost"],
                conversions=part["expected_incremental_conversions"],
            )
        )
    return "\n".join(lines)
