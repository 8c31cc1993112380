"""CLI: `callwise demo` — a synthetic bank to a call list and a report in one go."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from callwise.cli._output import emit, fail
from callwise.cli.board_demo import board_summary, board_text
from callwise.i18n import t
from callwise.settings import get_settings

if TYPE_CHECKING:  # the pipeline is imported when the command runs, not when the CLI starts
    from callwise.pipeline import PipelineSummary


def register(app: typer.Typer) -> None:
    @app.command("demo", help="help.demo")
    def demo(
        out: Annotated[Path, typer.Option(help="help.demo.out")] = Path("demo-output"),
        customers: Annotated[int, typer.Option(min=1000, help="help.demo.customers")] = 50_000,
        seed: Annotated[int, typer.Option(help="help.demo.seed")] = 7,
        board: Annotated[bool, typer.Option("--board/--no-board", help="help.demo.board")] = True,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_summary")] = False,
    ) -> None:
        """Synthesise a bank, ingest it, train and evaluate, build today's wealth call list, write reports."""
        from callwise.pipeline import run_pipeline
        from callwise.security.errors import KeyConfigError

        try:  # the keys of the settings, or a throw-away demo ring it makes and names in the summary
            summary = run_pipeline(out, customers=customers, seed=seed)
        except KeyConfigError as error:
            fail(error)
        key_file = summary["demo_keys"]
        if key_file is not None:
            typer.echo(
                f"{t('cli.demo.keys', 'zh', path=key_file)} / {t('cli.demo.keys', 'en', path=key_file)}", err=True
            )
        if not board:
            emit(summary, as_json, human=_human(summary))
            return
        seeded, lang = _board(out), get_settings().lang  # with --json, the command and URL are in the JSON only
        emit({**summary, "board": seeded}, as_json, human=f"{_human(summary)}\n\n{board_text(seeded, lang)}")


def _board(out: Path) -> dict[str, Any]:
    """Seed the demo's board into its service database (``OUT/callwise.db``); what to run to open it.

    No user is made here: `callwise serve --demo` makes the demo users and prints their new passwords, once, where
    they are used, so neither this output nor ``--json`` nor ``summary.json`` ever holds one."""
    from callwise.demo import demo_settings, prepare_demo_service
    from callwise.security.errors import KeyConfigError

    try:
        ready = prepare_demo_service(demo_settings(out, get_settings()), users=False)
    except KeyConfigError as error:
        fail(error)
    return board_summary(out, ready.board)


def _human(summary: PipelineSummary) -> str:
    lang = get_settings().lang
    truth = summary["against_truth"]
    lists = {name: f"{row['true_conversions']:,.1f}" for name, row in truth["lists"].items()}
    lines = [
        t("cli.demo.title", lang, customers=f"{summary['customers']:,}", seconds=f"{summary['total_seconds']:.0f}"),
        "",
        *(f"  {name:<20} {s['seconds']:>7.1f} s" for name, s in summary["stages"].items()),
        "",
        t(
            "cli.demo.ingested",
            lang,
            accepted=f"{summary['ingest']['accepted']:,}",
            quarantined=f"{summary['ingest']['quarantined']:,}",
        ),
        *(
            t("cli.demo.model", lang, model=name, auc=f"{m['auc']:.3f}", capture=f"{m['capture']['0.5']:.3f}")
            for name, m in summary["evaluation"].items()
        ),
        t(
            "cli.demo.list",
            lang,
            listed=f"{summary['list']['listed']:,}",
            eligible=f"{summary['list']['eligible']:,}",
            product=summary["list"]["product_id"],
            date=summary["list"]["date"],
        ),
        t("cli.demo.truth", lang, callwise=lists["callwise"], random=lists["random"], oracle=lists["oracle"]),
        "",
        *(f"  {name:<22} {path}" for name, path in summary["files"].items()),
    ]
    return "\n".join(lines)
