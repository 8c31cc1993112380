"""CLI: `callwise experiments power | assign` — control groups, script arms and the power to measure lift."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail


def register(app: typer.Typer) -> None:
    experiments = typer.Typer(no_args_is_help=True, help="help.experiments")
    app.add_typer(experiments, name="experiments")

    @experiments.command("power", help="help.experiments.power")
    def power_command(
        list_size: Annotated[int, typer.Option("--list-size", help="help.experiments.power.list_size")],
        base_rate: Annotated[float, typer.Option(help="help.experiments.power.base_rate")],
        control_share: Annotated[float, typer.Option(help="help.experiments.power.control_share")] = 0.1,
        alpha: Annotated[float, typer.Option(help="help.experiments.power.alpha")] = 0.05,
        power: Annotated[float, typer.Option(help="help.experiments.power.power")] = 0.8,
        one_sided: Annotated[bool, typer.Option("--one-sided", help="help.experiments.power.one_sided")] = False,
        lift: Annotated[float | None, typer.Option(help="help.experiments.power.lift")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.experiments.power.as_json")] = False,
    ) -> None:
        """The minimum lift a list can detect (two-proportion test), and the list size a given lift needs."""
        from callwise.experiments.design import ExperimentError
        from callwise.experiments.power import detectable_lift, required_size
        from callwise.experiments.text import power_text
        from callwise.settings import get_settings

        try:
            result = detectable_lift(list_size, control_share, base_rate, alpha, power, not one_sided)
            required = (
                None if lift is None else required_size(lift, control_share, base_rate, alpha, power, not one_sided)
            )
        except ExperimentError as exc:
            fail(str(exc))
        if required is not None:
            result["required"] = required
        emit(result, as_json, human=power_text(result, get_settings().lang, required))

    @experiments.command("assign", help="help.experiments.assign")
    def assign_command(
        ids: Annotated[Path, typer.Option(help="help.experiments.assign.ids")],
        seed: Annotated[int, typer.Option(help="help.experiments.assign.seed")],
        out: Annotated[Path, typer.Option(help="help.experiments.assign.out")],
        id_column: Annotated[str, typer.Option(help="help.experiments.assign.id_column")] = "customer_id",
        score_column: Annotated[str, typer.Option(help="help.experiments.assign.score_column")] = "score",
        control_share: Annotated[float, typer.Option(help="help.experiments.assign.control_share")] = 0.1,
        arms: Annotated[str | None, typer.Option(help="help.experiments.assign.arms")] = None,
        deciles: Annotated[int, typer.Option(help="help.experiments.assign.deciles")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="help.experiments.assign.as_json")] = False,
    ) -> None:
        """Assign control/treatment and arms to a scored list, write it, and print the balance report."""
        from callwise.experiments import NoControlWarning, assign_groups, balance_report, parse_arms
        from callwise.experiments.design import ExperimentError
        from callwise.experiments.files import check_output, read_scored_customers, write_assignment
        from callwise.experiments.text import balance_text
        from callwise.i18n import t
        from callwise.settings import get_settings

        lang = get_settings().lang
        try:
            check_output(out)
            arm_shares = None if arms is None else parse_arms(arms)
            scored, covariates = read_scored_customers(ids, id_column, score_column)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NoControlWarning)  # the report says it, in the user's language
                assignment = assign_groups(
                    scored["customer_id"], scored["score"], seed, control_share, arm_shares, deciles
                )
            report = balance_report(assignment, covariates)
        except ExperimentError as exc:
            fail(str(exc))
        written = write_assignment(assignment, out)
        report = dict(report, out=str(written), seed=seed)
        emit(
            report,
            as_json,
            human=balance_text(report, lang) + "\n" + t("experiments.assign.written", lang, path=written),
        )
