"""Write a channel plan: every customer's choice with a reason per channel, the message sends, the call list, summary.

As a list is written (:mod:`callwise.lists.output`): Parquet and CSV (UTF-8 with BOM, every cell formula-safe
through ``callwise.export``), byte-identical for the same inputs; no phone or name is in any file (customer ids
only; the call list's own files mask phones). The customers chosen for calls get the call list's whole folder
(``calls/``: dialer files, members, exclusions), so a dialer loads them as it loads any list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from callwise.channels.plan import ChannelPlan
from callwise.export import write_csv
from callwise.lists.output import write_list


def write_channel_plan(plan: ChannelPlan, out_dir: str | Path, lang: str = "zh") -> dict[str, str]:
    """Write every file of the plan into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "choices": out / "choices.parquet",
        "choices_csv": out / "choices.csv",
        "messages_csv": out / "messages.csv",
        "summary": out / "channel_summary.json",
    }
    choices = plan.choices.assign(increment=plan.choices["increment"].round(6), value=plan.choices["value"].round(2))
    pq.write_table(pa.Table.from_pandas(choices, preserve_index=False), files["choices"], compression="zstd")
    write_csv(choices, files["choices_csv"])
    sends = choices[choices["channel"].notna() & (choices["channel"] != "call")]
    write_csv(
        sends[["customer_id", "channel", "send_local", "increment", "value", "moment_live"]], files["messages_csv"]
    )
    written = {k: str(v) for k, v in files.items()}
    if plan.calls is not None:
        written.update({f"calls_{k}": v for k, v in write_list(plan.calls, out / "calls", lang).items()})
    files["summary"].write_text(
        json.dumps(plan.summary, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    return written
