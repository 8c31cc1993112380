"""Each segment's profile from the lake table ``segments`` and the history, in Ibis (either engine).

- **size**, **share** of the customers assigned;
- **features**: segment mean against bank mean for the inputs and a few profile features, the most distinctive
  first (the difference in bank standard deviations);
- **response rate**: of the segment's customers called before the cutoff, the share with a call that converted;
- **uplift**: campaign members (``campaign_members``), treatment against randomised control: the share who
  bought the campaign's product from their assignment until 30 days after the campaign ended (and before the
  cutoff), the difference with each group's n;
- **best hours**: the hours of the day whose calls the segment answered most often (at least ``MIN_CALLS``);
- **preferred channel**: the channel of most of the segment's transactions in the 90 days before the cutoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from callwise.features.asof import customer_features
from callwise.lake import Lake
from callwise.segments.inputs import ANSWERED, input_table

SEGMENTS = "segments"
PROFILE_FEATURES = ("age", "income_monthly", "balance_total", "n_products_held", "tenure_days", "n_tx_90d")
TOP_FEATURES = 5
MIN_CALLS = 20
BEST_HOURS = 3
UPLIFT_DAYS = 30


def profiles(
    lake: Lake, cutoff: datetime, features: tuple[str, ...], tags: tuple[str, ...], assigned: ir.Table | None = None
) -> dict[str, dict[str, Any]]:
    """segment_id → its profile (see the module); ``assigned`` defaults to the lake table ``segments``."""
    seg = (assigned if assigned is not None else lake.table(SEGMENTS)).select("customer_id", "segment_id")
    out: dict[str, dict[str, Any]] = {}
    sizes = seg.group_by("segment_id").aggregate(size=seg.count()).to_pyarrow().to_pylist()
    total = sum(int(r["size"]) for r in sizes)
    for r in sizes:
        out[r["segment_id"]] = {"size": int(r["size"]), "share": _r(int(r["size"]) / total if total else 0.0)}
    for sid, items in _features(lake, cutoff, features, tags, seg).items():
        out[sid]["features"] = items
    for part in (_response(lake, cutoff, seg), _uplift(lake, cutoff, seg), _hours(lake, cutoff, seg)):
        for sid, values in part.items():
            out.setdefault(sid, {}).update(values)
    for sid, channel in _channel(lake, cutoff, seg).items():
        out[sid]["preferred_channel"] = channel
    for p in out.values():
        p.setdefault("response_rate", None)
        p.setdefault("called", 0)
        p.setdefault("uplift", None)
        p.setdefault("best_hours", [])
        p.setdefault("preferred_channel", None)
    return dict(sorted(out.items()))


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(float(x), digits)


def _features(
    lake: Lake, cutoff: datetime, features: tuple[str, ...], tags: tuple[str, ...], seg: ir.Table
) -> dict[str, list[dict[str, Any]]]:
    inputs = input_table(lake, cutoff, features, tags)
    extra = customer_features(lake, cutoff)
    more = [f for f in PROFILE_FEATURES if f in extra.columns and f not in inputs.columns]
    table = inputs.join(extra.select("customer_id", *more), "customer_id") if more else inputs
    numeric = [
        c
        for c in table.columns
        if c != "customer_id" and (table[c].type().is_numeric() or table[c].type().is_boolean())
    ]
    if not numeric:
        return {}
    joined = table.join(seg, "customer_id")
    values = {c: joined[c].cast("float64") for c in numeric}
    bank = (
        joined.aggregate(
            **{f"m__{i}": v.mean() for i, v in enumerate(values.values())},
            **{f"s__{i}": v.std(how="pop") for i, v in enumerate(values.values())},
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    by = joined.group_by("segment_id").aggregate(**{f"m__{i}": v.mean() for i, v in enumerate(values.values())})
    out: dict[str, list[dict[str, Any]]] = {}
    for row in by.to_pyarrow().to_pylist():
        items = []
        for i, name in enumerate(numeric):
            mean, bank_mean, sd = row[f"m__{i}"], bank[f"m__{i}"], bank[f"s__{i}"]
            z = (mean - bank_mean) / sd if mean is not None and bank_mean is not None and sd else 0.0
            items.append(
                {"feature": name, "segment_mean": _r(mean, 4), "bank_mean": _r(bank_mean, 4), "difference_sd": _r(z, 4)}
            )
        items.sort(key=lambda x: (-abs(float(x["difference_sd"] or 0.0)), str(x["feature"])))
        out[row["segment_id"]] = items[:TOP_FEATURES]
    return out


def _calls(lake: Lake, cutoff: datetime) -> ir.Table | None:
    if not lake.has("contacts"):
        return None
    k = lake.table("contacts")
    return k.filter((k.channel == "call") & (k.ts.cast("timestamp") < cutoff))


def _response(lake: Lake, cutoff: datetime, seg: ir.Table) -> dict[str, dict[str, Any]]:
    calls = _calls(lake, cutoff)
    if calls is None:
        return {}
    per = calls.group_by("customer_id").aggregate(converted=(calls.disposition == "converted").any())
    joined = per.join(seg, "customer_id")
    rows = joined.group_by("segment_id").aggregate(
        called=joined.count(), converted=joined.count(where=joined.converted)
    )
    return {
        r["segment_id"]: {"called": int(r["called"]), "response_rate": _r(r["converted"] / r["called"])}
        for r in rows.to_pyarrow().to_pylist()
        if r["called"]
    }


def _uplift(lake: Lake, cutoff: datetime, seg: ir.Table) -> dict[str, dict[str, Any]]:
    if not all(lake.has(n) for n in ("campaign_members", "campaigns", "conversions")):
        return {}
    m = lake.table("campaign_members")
    m = m.filter(m.assigned_at.cast("timestamp") < cutoff).select("campaign_id", "customer_id", "group", "assigned_at")
    c = lake.table("campaigns").select("campaign_id", "product_id", "end_at")
    members = m.join(c, "campaign_id")
    v = lake.table("conversions")
    v = v.filter(v.ts.cast("timestamp") < cutoff).select("customer_id", "product_id", bought_at="ts")
    hit = members.join(
        v,
        [
            members.customer_id == v.customer_id,
            members.product_id == v.product_id,
            v.bought_at.cast("timestamp") >= members.assigned_at.cast("timestamp"),
            v.bought_at.cast("timestamp") < members.end_at.cast("timestamp") + ibis.interval(days=UPLIFT_DAYS),
        ],
    )
    bought = hit.select(hit.campaign_id, customer_id=hit.customer_id).distinct().mutate(bought=ibis.literal(1))
    outcome = members.left_join(bought, ["campaign_id", "customer_id"])
    outcome = outcome.select("customer_id", "group", bought=outcome.bought.fill_null(0))
    joined = outcome.join(seg, "customer_id")
    rows = (
        joined.group_by(["segment_id", "group"])
        .aggregate(n=joined.count(), bought=joined.bought.sum())
        .to_pyarrow()
        .to_pylist()
    )
    by: dict[str, dict[str, tuple[int, int]]] = {}
    for r in rows:
        by.setdefault(r["segment_id"], {})[str(r["group"])] = (int(r["n"]), int(r["bought"]))
    out: dict[str, dict[str, Any]] = {}
    for sid, groups in by.items():
        nt, bt = groups.get("treatment", (0, 0))
        nc, bc = groups.get("control", (0, 0))
        rate_t = bt / nt if nt else None
        rate_c = bc / nc if nc else None
        diff = rate_t - rate_c if rate_t is not None and rate_c is not None else None
        out[sid] = {
            "uplift": {
                "treatment_rate": _r(rate_t),
                "control_rate": _r(rate_c),
                "difference": _r(diff),
                "n_treatment": nt,
                "n_control": nc,
            }
        }
    return out


def _hours(lake: Lake, cutoff: datetime, seg: ir.Table) -> dict[str, dict[str, Any]]:
    calls = _calls(lake, cutoff)
    if calls is None:
        return {}
    joined = calls.join(seg, "customer_id")
    hour = joined.ts.cast("timestamp").hour()
    rows = (
        joined.group_by(["segment_id", hour.name("hour")])
        .aggregate(calls=joined.count(), answered=joined.count(where=joined.disposition.isin(ANSWERED)))
        .to_pyarrow()
        .to_pylist()
    )
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["calls"] >= MIN_CALLS:
            by.setdefault(r["segment_id"], []).append(
                {"hour": int(r["hour"]), "calls": int(r["calls"]), "answer_rate": _r(r["answered"] / r["calls"])}
            )
    return {
        sid: {"best_hours": sorted(hours, key=lambda h: (-float(h["answer_rate"]), h["hour"]))[:BEST_HOURS]}
        for sid, hours in by.items()
    }


def _channel(lake: Lake, cutoff: datetime, seg: ir.Table) -> dict[str, str]:
    if not lake.has("transactions") or "channel" not in lake.table("transactions").columns:
        return {}
    t = lake.table("transactions")
    t = t.filter((t.ts.cast("timestamp") < cutoff) & (t.ts.cast("timestamp") >= cutoff - timedelta(days=90)))
    joined = t.join(seg, "customer_id")
    rows = joined.group_by(["segment_id", "channel"]).aggregate(n=joined.count()).to_pyarrow().to_pylist()
    best: dict[str, tuple[int, str]] = {}
    for r in rows:
        if r["channel"] is None:
            continue
        key = (int(r["n"]), str(r["channel"]))
        current = best.get(r["segment_id"])
        if current is None or (key[0], _neg(key[1])) > (current[0], _neg(current[1])):
            best[r["segment_id"]] = key
    return {sid: ch for sid, (_, ch) in best.items()}


def _neg(text: str) -> tuple[int, ...]:
    """Orders text descending, so of two channels used equally often the one first by name wins."""
    return tuple(-ord(ch) for ch in text)
