"""Write a built list: the call list, the dialer files (one per day, CSV and XLSX), members, exclusions, summary.

CSV files are UTF-8 with BOM (they open in Excel) and, like the Parquet files and the summary, byte-identical
for the same inputs. XLSX files carry the same cells with headers in the campaign's language; they hold no save
time, so they are byte-identical too (``callwise.xlsx``; a frame it leaves to openpyxl gets a save time).
Phones are masked everywhere. Every CSV and XLSX cell goes through
``callwise.export``: text that would start a formula gets a leading ``'`` (a lake value is data, never a formula).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from callwise.export import write_csv, write_xlsx
from callwise.i18n import t
from callwise.lists.build import ListResult
from callwise.lists.times import clock_text, local_iso
from callwise.policy.calltime import zone

DIALER_COLUMNS = (
    "date",
    "slot",
    "slot_tz",
    "local_time",
    "local_tz",
    "slot_start_local",
    "agent_id",
    "customer_id",
    "phone_masked",
    "product_id",
    "attempt",
    "condition",
    "arm",
    "p_answer",
    "priority",
    "script_hint",
)


def dialer_rows(
    calls: pd.DataFrame, zones: pd.Series | None = None, bank_timezone: str = "Asia/Shanghai"
) -> pd.DataFrame:
    """The calls in the dialer's format, in the order they are to be dialled.

    Each time says its zone: ``date`` and ``slot`` are on the call centre's clock (``slot_tz``), ``local_time`` on
    the customer's (``local_tz``, from ``zones``: customer id → IANA zone), and ``slot_start_local`` is the slot's
    start as ISO 8601 with the customer's offset, an instant no reader can mistake.
    """
    calls = calls.sort_values(["call_at", "priority", "attempt"], kind="stable")
    customer_zone = (
        zones.reindex(calls["customer_id"]).astype("str").reset_index(drop=True)
        if zones is not None
        else pd.Series([""] * len(calls), dtype="str")
    )
    known = {name: zone(name) is not None for name in customer_zone.unique()}  # a handful of zones, not one per row
    customer_zone = customer_zone.where(customer_zone.map(known).astype(bool), "")
    starts = calls["call_at"].dt.tz_localize(bank_timezone, ambiguous="NaT", nonexistent="shift_forward")
    return pd.DataFrame(
        {
            "date": clock_text(calls["call_at"], "%Y-%m-%d"),
            "slot": clock_text(calls["call_at"], "%H:%M"),
            "slot_tz": bank_timezone,
            "local_time": clock_text(calls["local_start"], "%H:%M"),
            "local_tz": customer_zone.to_numpy(),
            "slot_start_local": local_iso(starts.reset_index(drop=True), customer_zone).to_numpy(),
            "agent_id": calls["agent_id"],
            "customer_id": calls["customer_id"],
            "phone_masked": calls["phone_masked"],
            "product_id": calls["product_id"],
            "attempt": calls["attempt"],
            # A re-attempt is dialled only when no earlier attempt was answered.
            "condition": (calls["attempt"] > 1).map({False: "always", True: "if_no_answer"}),
            "arm": calls["arm"],
            "p_answer": calls["p_answer"].round(4),
            "priority": calls["priority"],
            "script_hint": calls["script_hint"].fillna(""),
        }
    ).reset_index(drop=True)


def write_list(result: ListResult, out_dir: str | Path, lang: str = "zh") -> dict[str, str]:
    """Write every file of the list into ``out_dir``; return their paths."""
    out = Path(out_dir)
    (out / "dialer").mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {
        "list_csv": out / "call_list.csv",
        "list_parquet": out / "call_list.parquet",
        "calls": out / "calls.parquet",
        "members": out / "members.parquet",
        "members_csv": out / "members.csv",
        "exclusions": out / "exclusions.parquet",
        "exclusions_csv": out / "exclusions.csv",
        "summary": out / "summary.json",
    }
    listed = result.listed.assign(
        score=result.listed["score"].round(6),
        expected_value=result.listed["expected_value"].round(2),
        p_answered=result.listed["p_answered"].round(4),
    )
    if "uplift" in listed:  # ranked by uplift
        listed["uplift"] = listed["uplift"].round(6)
    write_csv(listed, files["list_csv"])
    _parquet(listed, files["list_parquet"])
    _parquet(result.calls, files["calls"])
    members = result.members.assign(score=result.members["score"].round(6))
    _parquet(members, files["members"])
    write_csv(members, files["members_csv"])
    excluded = result.excluded.assign(expected_value=result.excluded["expected_value"].round(2))
    _parquet(excluded, files["exclusions"])
    write_csv(excluded, files["exclusions_csv"])

    zones = result.ranked.drop_duplicates("customer_id").set_index("customer_id")["timezone"]
    rows = dialer_rows(result.calls, zones, result.planning.bank_timezone)
    per_day = {}
    for day, part in rows.groupby("date", sort=True):
        base = out / "dialer" / f"calls_{day}"
        write_csv(part, base.with_suffix(".csv"))
        _xlsx(part, base.with_suffix(".xlsx"), lang)
        files[f"dialer_{day}"] = base.with_suffix(".csv")
        files[f"dialer_{day}_xlsx"] = base.with_suffix(".xlsx")
        per_day[str(day)] = len(part)
    summary = dict(
        result.summary,
        list_sha256=hashlib.sha256(files["list_csv"].read_bytes()).hexdigest(),
        dialer_calls_per_day=per_day,
    )
    files["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return {k: str(v) for k, v in files.items()}


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")


def _xlsx(frame: pd.DataFrame, path: Path, lang: str) -> None:
    write_xlsx(frame, path, sheet=t("dialer.sheet", lang), header=[t(f"dialer.{c}", lang) for c in frame.columns])


def funnel_text(summary: dict[str, Any], lang: str = "zh") -> str:
    """The funnel as readable lines, e.g. for the CLI and the report."""
    lines = []
    for step in summary["funnel"]:
        label = t(f"exclusion.{step['step']}", lang)
        lines.append(f"{label:<24} -{step['removed']:>9,}  {step['remaining']:>10,}")
    plan = summary.get("plan", {})
    if plan:
        lines.append(t("plan.summary_line", lang, **{k: plan[k] for k in ("expected_calls", "capacity_calls", "gap")}))
    return "\n".join(lines)
