"""CLI: `callwise demo` — a synthetic bank to a call list and a report in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Annotated[Path, typer.Option(help="Directory for everything the demo writes.")] = Path("demo-output"),
        customers: Annotated[int, typer.Option(min=1000, help="Synthetic customers.")] = 50_000,
        seed: Annotated[int, typer.Option(help="Seed: same seed, same bank, same list.")] = 7,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        """Synthesise a bank, ingest it, train and evaluate, build today's wealth call list, write reports."""
        from callwise.demo import run_pipeline

        summary = run_pipeline(out, customers=customers, seed=seed)
        emit(summary, as_json, human=_human(summary))


def _human(summary: dict) -> str:
    truth = summary["against_truth"]
    lines = [
        f"callwise demo — {summary['customers']:,} synthetic customers, {summary['total_seconds']:.0f} s",
        "",
        *(f"  {name:<20} {s['seconds']:>7.1f} s" for name, s in summary["stages"].items()),
        "",
        f"ingested {summary['ingest']['accepted']:,} rows, quarantined {summary['ingest']['quarantined']:,}",
        *(
            f"{name:<10} 5-fold CV AUC {m['auc']:.3f}, top-50% capture {m['capture']['0.5']:.3f}"
            for name, m in summary["evaluation"].items()
        ),
        f"call list: {summary['list']['listed']:,} of {summary['list']['eligible']:,} eligible customers "
        f"for {summary['list']['product_id']} on {summary['list']['date']}",
        "true expected conversions (from the synthetic truth): "
        + ", ".join(f"{k} {v['true_conversions']:.1f}" for k, v in truth["lists"].items()),
        "",
        *(f"  {name:<22} {path}" for name, path in summary["files"].items()),
    ]
    return "\n".join(lines)
