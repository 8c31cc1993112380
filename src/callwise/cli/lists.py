"""CLI: `callwise lists build` — the call list for one campaign (`lists channels`: the channel plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.cli.channels import register_channels
from callwise.cli.lists_export import register_export
from callwise.i18n import t
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    lists = typer.Typer(no_args_is_help=True, help="help.lists")
    app.add_typer(lists, name="lists")
    register_export(lists)
    register_channels(lists)

    @lists.command("build", help="help.lists.build")
    def build(
        campaign: Annotated[Path, typer.Option(help="help.lists.build.campaign")],
        out: Annotated[Path, typer.Option(help="help.lists.build.out")],
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        model: Annotated[Path | None, typer.Option(help="help.lists.build.model")] = None,
        policy: Annotated[Path | None, typer.Option(help="help.lists.build.policy")] = None,
        answer_model: Annotated[Path | None, typer.Option(help="help.lists.build.answer_model")] = None,
        truth: Annotated[Path | None, typer.Option(help="help.lists.build.truth")] = None,
        engine: EngineName = None,
        record: Annotated[bool, typer.Option("--record/--no-record", help="help.lists.build.record")] = True,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """Apply the policy, rank by expected value, hold out a control group, schedule calls, gate, write."""
        from callwise.lists.build import ListError, build_list, load_ranking_model
        from callwise.lists.campaign import CampaignError, load_campaign
        from callwise.lists.measured_text import control_group_text
        from callwise.lists.output import funnel_text, write_list
        from callwise.models import ModelFileError
        from callwise.policy import PolicyError, load_policy
        from callwise.report import write_list_reports
        from callwise.synth.against_truth import compare_schedules_with_truth, compare_with_truth
        from callwise.timing import AnswerModelFileError, TimingError, load_answer_model
        from callwise.uplift import UpliftFileError

        try:
            spec = load_campaign(campaign)
            model_dir = model or spec.model
            if model_dir is None:
                fail(t("lists.no_model", get_settings().lang, path=campaign))
            rules = load_policy(policy) if policy is not None else None
            timing = load_answer_model(answer_model) if answer_model is not None else None
            store = lake_on(lake, engine)
            result = build_list(spec, store, load_ranking_model(spec, model_dir), rules, timing)
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
        files = write_list(result, out, spec.lang)
        summary: dict[str, Any] = {**result.summary, "files": files}
        if record:  # the experiment's members, control included, so the campaign can be measured later
            from callwise.results.record import record_members

            summary["members_recorded"] = record_members(store, result).to_dict()
        if truth is not None:
            summary["against_truth"] = compare_with_truth(result, truth, seed=spec.seed)
            summary["schedules_against_truth"] = compare_schedules_with_truth(result, truth)
        reports = write_list_reports(result, out, summary.get("against_truth"))
        files.update(reports)
        lang = get_settings().lang
        human = [
            t(f"ranking.{summary['ranking']}", lang),
            funnel_text(summary, lang),
            *control_group_text(summary["experiment"], lang),
            f"→ {files['list_csv']}",
            *(f"→ {t('listreport.files', lang)}: {path}" for path in reports.values()),
        ]
        emit(summary, as_json, human="\n".join(human))

    @lists.command("audience", help="help.lists.audience")
    def audience(
        expression: Annotated[str, typer.Argument(help="help.lists.audience.expression")],
        campaign: Annotated[Path | None, typer.Option(help="help.lists.audience.campaign")] = None,
        cutoff: Annotated[str | None, typer.Option(help="help.lists.audience.cutoff")] = None,
        catalogue: Annotated[Path | None, typer.Option("--catalogue", help="help.tags.catalogue")] = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """An audience's size, share of the bank and profile before a list is built."""
        from datetime import date, datetime, time

        from callwise.lists.audience import preview
        from callwise.lists.build import ListError
        from callwise.lists.campaign import CampaignError, load_campaign
        from callwise.tags import AudienceError, CatalogueError, load_catalogue

        lang = get_settings().lang
        try:
            moment = datetime.combine(date.fromisoformat(cutoff), time.min) if cutoff is not None else None
        except ValueError:
            fail(t("cli.tags.bad_cutoff", lang, value=repr(cutoff)))
        try:
            spec = load_campaign(campaign) if campaign is not None else None
            tags = load_catalogue(catalogue) if catalogue is not None else None
            found = preview(lake_on(lake, engine), expression, moment, catalogue=tags, campaign=spec)
        except (AudienceError, CampaignError, CatalogueError, ListError, FileNotFoundError) as exc:
            fail(exc)
        emit(found, as_json, human=_audience_text(found, lang))


def _audience_text(found: dict[str, Any], lang: str) -> str:
    lines = [t("cli.lists.audience.size", lang, size=found["size"], bank=found["bank"], share=found["share"])]
    if found.get("eligible") is not None:
        lines.append(t("cli.lists.audience.eligible", lang, eligible=found["eligible"], campaign=found["campaign_id"]))
    for row in found["profile"]:
        lines.append(t("cli.lists.audience.feature", lang, **row))
    for tag in found["tags"]:
        lines.append(t("cli.lists.audience.lift", lang, **tag))
    return "\n".join(lines)
