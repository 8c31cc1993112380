"""CLI: `callwise experiments power | assign` — control groups, script arms and the power to measure lift."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail


def register(app: typer.Typer) -> None:
    experiments = typer.Typer(
        no_args_is_help=True, help="Control groups, script arms, and the lift a campaign can measure."
    )
    app.add_typer(experiments, name="experiments")

    @experiments.command("power")
    def power_command(
        list_size: Annotated[int, typer.Option("--list-size", help="Customers on the list (control + treatment).")],
        base_rate: Annotated[float, typer.Option(help="Conversion rate expected without a call, e.g. 0.03.")],
        control_share: Annotated[float, typer.Option(help="Share of the list held out, not called.")] = 0.1,
        alpha: Annotated[float, typer.Option(help="Significance level of the test.")] = 0.05,
        power: Annotated[float, typer.Option(help="Wanted probability of detecting the lift.")] = 0.8,
        one_sided: Annotated[bool, typer.Option("--one-sided", help="Test only 'calls raise conversion'.")] = False,
        lift: Annotated[
            float | None, typer.Option(help="An absolute lift (e.g. 0.01 = 1 point): print the list size it needs.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """The minimum lift a list can detect (two-proportion test), and the list size a given lift needs."""
        from callwise.experiments.design import ExperimentError
        from callwise.experiments.power import detectable_lift, required_size
        from callwise.experiments.text import power_text
        from callwise.i18n.message import message_of
        from callwise.settings import get_settings

        try:
            result = detectable_lift(list_size, control_share, base_rate, alpha, power, not one_sided)
            required = (
                None if lift is None else required_size(lift, control_share, base_rate, alpha, power, not one_sided)
            )
        except ExperimentError as exc:
            fail(message_of(exc, get_settings().lang))
        if required is not None:
            result["required"] = required
        emit(result, as_json, human=power_text(result, get_settings().lang, required))

    @experiments.command("assign")
    def assign_command(
        ids: Annotated[Path, typer.Option(help="CSV, XLSX or Parquet file with one row per customer.")],
        seed: Annotated[int, typer.Option(help="Campaign seed: the same seed always gives the same groups.")],
        out: Annotated[Path, typer.Option(help="Assignment file to write (.csv or .parquet).")],
        id_column: Annotated[str, typer.Option(help="Column with the customer id.")] = "customer_id",
        score_column: Annotated[str, typer.Option(help="Column with the score (higher = better).")] = "score",
        control_share: Annotated[float, typer.Option(help="Share held out as control (0 = none).")] = 0.1,
        arms: Annotated[
            str | None, typer.Option(help="Script arms with shares of the called group, e.g. A=0.5,B=0.5.")
        ] = None,
        deciles: Annotated[int, typer.Option(help="Score strata for the control group.")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="Print the balance report as JSON.")] = False,
    ) -> None:
        """Assign control/treatment and arms to a scored list, write it, and print the balance report."""
        from callwise.experiments import NoControlWarning, assign_groups, balance_report, parse_arms
        from callwise.experiments.design import ExperimentError
        from callwise.experiments.files import check_output, read_scored_customers, write_assignment
        from callwise.experiments.text import balance_text
        from callwise.i18n import t
        from callwise.i18n.message import message_of
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
            fail(message_of(exc, get_settings().lang))
        written = write_assignment(assignment, out)
        report = dict(report, out=str(written), seed=seed)
        emit(
            report,
            as_json,
            human=balance_text(report, lang) + "\n" + t("experiments.assign.written", lang, path=written),
        )
