"""CLI: `callwise outbox deliver` — send the follow-ups that are due (once, or in a loop for a service)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    outbox = typer.Typer(no_args_is_help=True, help="help.outbox")
    app.add_typer(outbox, name="outbox")

    @outbox.command("deliver", help="help.outbox.deliver")
    def deliver(
        loop: Annotated[bool, typer.Option("--loop", help="help.outbox.deliver.loop")] = False,
        interval: Annotated[float, typer.Option(min=0.5, help="help.outbox.deliver.interval")] = 10.0,
        as_json: Annotated[bool, typer.Option("--json", help="help.outbox.deliver.as_json")] = False,
    ) -> None:
        """Send what is due: to CALLWISE_WEBHOOK_URL (signed) or, by default, to files under data_dir/outbox."""
        from callwise.cli._ops import lang, operational_db
        from callwise.ops.followups import deliver_due
        from callwise.settings import get_settings
        from callwise.wiring import ServiceConfigError, senders_from_settings

        try:
            senders = senders_from_settings(get_settings())
        except (ServiceConfigError, ValueError) as error:
            fail(error)
        totals = {"claimed": 0, "sent": 0, "retried": 0, "dead": 0}
        with operational_db() as factory:
            while True:
                report = deliver_due(factory, senders)
                for key in totals:
                    totals[key] += getattr(report, key)
                if not loop:
                    break
                time.sleep(interval)
        emit(totals, as_json, human=t("cli.outbox.delivered", lang(), **totals))
