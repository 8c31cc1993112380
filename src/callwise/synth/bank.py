"""`synthesize`: write a whole synthetic bank — every contract table — plus its ground truth in ``_truth/``.

Deterministic per seed: each part draws from its own child of one ``SeedSequence``, so the same seed gives
byte-identical files. All work is vectorised (NumPy, Arrow); 1M customers take a few minutes on 2 cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callwise.synth import behaviour as bh
from callwise.synth.activity import (
    DAY,
    EPOCH,
    PRODUCTS,
    agents_table,
    events,
    events_table,
    initial_holdings,
    products_table,
    transactions,
)
from callwise.synth.campaigns import CALL_DAYS, CAMPAIGNS, HORIZON_DAYS, History, product_logit, run_campaigns
from callwise.synth.channel_bank import ChannelWorld
from callwise.synth.channel_campaigns import MC_CAMPAIGNS
from callwise.synth.knowable import Evidence
from callwise.synth.people import SEGMENTS, _text, make_customers
from callwise.synth.transcripts import transcripts_table

DEFAULT_END = date(2026, 6, 30)
# The agents' true skill comes from a stream of its own (a spawn key no other part uses), so adding it left
# every table and every other draw of a bank exactly as it was.
SKILL_STREAM = 0x5C111
SKILL_SIGMA = 0.3
FORMATS = ("parquet", "csv")


def synthesize(
    out_dir: str | Path,
    customers: int = 50_000,
    seed: int = 7,
    fmt: str = "parquet",
    end: date = DEFAULT_END,
    channels: bool = False,
) -> dict[str, Any]:
    """Write the bank's tables to ``out_dir`` and the truth to ``out_dir/_truth``; return the manifest.

    ``channels``: also the multi-channel world (``synth/channels.py``): consents per channel, maturities, card
    bills, transfers out, planted moments, past multi-channel campaigns and their truth. Without it the bank is
    byte for byte what it was before the channel world existed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if customers < 100:
        raise ValueError("a synthetic bank needs at least 100 customers")
    out = Path(out_dir)
    (out / "_truth").mkdir(parents=True, exist_ok=True)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    start = end.toordinal() - 364
    days = 365

    people, traits = make_customers(customers, rngs[0], end)
    latent = bh.draw_latent(traits, rngs[1])
    holdings = initial_holdings(traits, latent, rngs[2], start)
    evidence = Evidence.prior(traits)
    evidence.initial_holdings(traits, holdings)
    ev = events(latent, traits, rngs[3], start, days)
    n_agents = int(np.clip(customers // 2_500, 10, 400))
    history = run_campaigns(traits, latent, holdings, ev, n_agents, seed, start, rngs[4], evidence)
    ids = people.column("customer_id")
    # The channel world draws from streams of its own; everything else below is drawn as it always was.
    world = ChannelWorld.begin(seed, people, traits, latent, ev, ids, start, end) if channels else None
    chunks = transactions(traits, latent, rngs[5], start, days)
    tx_rows = _write_stream(_tapped(chunks, world, ids), out, "transactions", fmt)

    contacts = _contacts(history, ids)
    customers_table = _after_campaigns(people, contacts)
    transcripts = transcripts_table(contacts, rngs[7])
    history_tables = {
        "events": _with_ids(events_table(ev), ids),
        "contacts": contacts,
        "conversions": _conversions(history, ids),
        "campaigns": _campaigns_table(start),
        "campaign_members": _members(history, ids, start),
    }
    if world is not None:
        history_tables = world.finish(history_tables, holdings, n_agents)
    tables = {
        "customers": customers_table,
        "products": products_table(),
        "holdings": _holdings_table(holdings, ids, end, world),
        "events": history_tables["events"],
        "contacts": history_tables["contacts"],
        "conversions": history_tables["conversions"],
        "agents": agents_table(n_agents, rngs[6]),
        "campaigns": history_tables["campaigns"],
        "campaign_members": history_tables["campaign_members"],
        "transcripts": transcripts,
    }
    if world is not None:
        tables["consents"] = history_tables["consents"]
    rows = {name: table.num_rows for name, table in tables.items()}
    for name, table in tables.items():
        _write(table, out, name, fmt, rngs[7] if name == "customers" else None)
    rows["transactions"] = tx_rows
    list_day = end + timedelta(days=1)
    conversion, answer_any = _write_truth(out / "_truth", ids, traits, latent, holdings, ev, start, list_day, evidence)
    if world is not None:
        world.write_truth(out / "_truth", conversion, answer_any, list_day)
    _write_campaign_truth(out / "_truth", history)
    _write_agent_truth(out / "_truth", n_agents, seed)
    manifest = {
        "customers": customers,
        "seed": seed,
        "format": fmt,
        "start": date.fromordinal(start).isoformat(),
        "end": end.isoformat(),
        "list_date": list_day.isoformat(),
        "rows": rows,
        "products": products_table().to_pylist(),
        "campaigns": [c[0] for c in CAMPAIGNS],
        "truth": str(out / "_truth"),
    }
    if world is not None:
        manifest["channels"] = True
        manifest["campaigns"] += [c[0] for c in MC_CAMPAIGNS]
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _with_ids(table: pa.Table, ids: pa.Array) -> pa.Table:
    index = table.column("customer_id")
    return table.set_column(0, "customer_id", pc.take(ids, index))


def _tapped(chunks: Iterator[pa.Table], world: ChannelWorld | None, ids: pa.Array) -> Iterator[pa.Table]:
    """The transaction stream with the channel world's transfers out at its end; the world sees every chunk."""
    for table in chunks if world is None else chain(chunks, [world.transfers]):
        if world is not None:
            world.see(table)
        yield _with_ids(table, ids)


def _seconds(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64).astype("datetime64[s]"))


def _contacts(history: History, ids: pa.Array) -> pa.Table:
    c = history.arrays("contacts")
    n = len(c["customer"])
    order = np.lexsort((c["customer"], c["seconds"]))  # time order, as a dialler exports them
    c = {k: v[order] for k, v in c.items()}
    seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 9, "0")
    return pa.table(
        {
            "contact_id": pc.binary_join_element_wise("K", seq, ""),
            "campaign_id": _text([x[0] for x in CAMPAIGNS], c["campaign"].astype(int)),
            "customer_id": pc.take(ids, pa.array(c["customer"].astype(np.int64))),
            "product_id": _text([p[0] for p in PRODUCTS], c["product"].astype(int)),
            "channel": pa.array(np.full(n, "call")),
            "ts": _seconds(c["seconds"]),
            "agent_id": pc.binary_join_element_wise(
                "A", pc.utf8_lpad(pc.cast(pa.array(c["agent"].astype(np.int64)), pa.string()), 4, "0"), ""
            ),
            "script_variant": _text(["A", "B"], c["variant"].astype(int)),
            "group": pa.array(np.full(n, "treatment")),
            "disposition": pa.array(c["disposition"].astype(str)),
            "duration_s": pa.array(c["duration"].astype(float)),
        }
    )


def _after_campaigns(people: pa.Table, contacts: pa.Table) -> pa.Table:
    """The customer snapshot at the end: DNC requests and complaints made on calls are on file."""
    dispositions = contacts.column("disposition")
    dnc_ids = pc.filter(contacts.column("customer_id"), pc.equal(dispositions, "dnc_requested"))
    dnc = pc.or_(people.column("dnc"), pc.is_in(people.column("customer_id"), dnc_ids))
    complaints = contacts.filter(pc.equal(dispositions, "complaint")).group_by("customer_id").aggregate([("ts", "max")])
    latest = pc.take(
        complaints.column("ts_max"), pc.index_in(people.column("customer_id"), complaints.column("customer_id"))
    )
    old = people.column("complaint_last_at")
    newest = pc.if_else(pc.is_null(latest), old, pc.if_else(pc.is_null(old), latest, pc.max_element_wise(old, latest)))
    people = people.set_column(people.schema.get_field_index("dnc"), "dnc", dnc)
    return people.set_column(people.schema.get_field_index("complaint_last_at"), "complaint_last_at", newest)


def _holdings_table(holdings: dict, ids: pa.Array, end: date, world: ChannelWorld | None = None) -> pa.Table:
    order = np.lexsort((holdings["product"], holdings["customer"]))
    h = {k: v[order] for k, v in holdings.items()}
    opened = np.minimum(h["opened"], end.toordinal()) - EPOCH
    table = pa.table(
        {
            "customer_id": pc.take(ids, pa.array(h["customer"].astype(np.int64))),
            "product_id": _text([p[0] for p in PRODUCTS], h["product"].astype(int)),
            "category": _text([p[2] for p in PRODUCTS], h["product"].astype(int)),
            "balance": pa.array(h["balance"].astype(float)),
            "opened_at": pa.array(opened.astype("datetime64[D]")).cast(pa.date32()),
            "closed_at": pa.nulls(len(order), pa.date32()),
        }
    )
    if world is None:
        return table
    extra = world.holdings_columns(order)
    table = table.set_column(table.schema.get_field_index("closed_at"), "closed_at", extra["closed_at"])
    return table.append_column("matures_at", extra["matures_at"])


def _conversions(history: History, ids: pa.Array) -> pa.Table:
    c = history.arrays("conversions")
    order = np.lexsort((c["customer"], c["seconds"]))
    product = c["product"][order].astype(int)
    return pa.table(
        {
            "customer_id": pc.take(ids, pa.array(c["customer"][order].astype(np.int64))),
            "product_id": _text([p[0] for p in PRODUCTS], product),
            "ts": _seconds(c["seconds"][order]),
            "amount": pa.array(np.array([p[4] for p in PRODUCTS])[product] * 50),
        }
    )


def _campaigns_table(start: int) -> pa.Table:
    first = np.array([start + c[3] for c in CAMPAIGNS]) - EPOCH
    return pa.table(
        {
            "campaign_id": [c[0] for c in CAMPAIGNS],
            "name": [c[1] for c in CAMPAIGNS],
            "product_id": [c[2] for c in CAMPAIGNS],
            "channel": ["call"] * len(CAMPAIGNS),
            "start_at": _seconds(first * DAY + 9 * 3600),
            "end_at": _seconds((first + CALL_DAYS) * DAY - 1),
        }
    )


def _members(history: History, ids: pa.Array, start: int) -> pa.Table:
    m = history.arrays("members")
    return pa.table(
        {
            "campaign_id": _text([c[0] for c in CAMPAIGNS], m["campaign"].astype(int)),
            "customer_id": pc.take(ids, pa.array(m["customer"].astype(np.int64))),
            "group": _text(["treatment", "control"], m["control"].astype(int)),
            "arm": pa.nulls(len(m["customer"]), pa.string()),
            "assigned_at": _seconds((m["day"].astype(np.int64) - EPOCH) * DAY - 86_400 + 18 * 3600),
        }
    )


def _write(table: pa.Table, out: Path, name: str, fmt: str, rng: np.random.Generator | None) -> None:
    if fmt == "parquet":
        pq.write_table(table, out / f"{name}.parquet", compression="zstd")
        return
    if name == "transcripts":
        rows = table.to_pylist()
        lines = [
            json.dumps({"contact_id": r["contact_id"], "turns": json.loads(r["turns"])}, ensure_ascii=False)
            for r in rows
        ]
        (out / "transcripts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    if name == "customers" and rng is not None:
        # Exported the way core banking systems often do: GBK, phones written in several styles.
        table = table.set_column(1, "phone", _messy_phones(table.column("phone"), rng))
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(table, buffer)
        (out / "customers.csv").write_bytes(buffer.getvalue().to_pybytes().decode("utf-8").encode("gb18030"))
        return
    pacsv.write_csv(table, out / f"{name}.csv")


def _write_stream(tables: Iterator[pa.Table], out: Path, name: str, fmt: str) -> int:
    """Write a table that arrives in pieces; returns the row count."""
    rows = 0
    writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
    try:
        for table in tables:
            if writer is None:
                path = out / f"{name}.{fmt}"
                writer = (
                    pq.ParquetWriter(path, table.schema, compression="zstd")
                    if fmt == "parquet"
                    else pacsv.CSVWriter(path, table.schema)
                )
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _messy_phones(phones: pa.ChunkedArray, rng: np.random.Generator) -> pa.Array:
    phones = phones.combine_chunks()
    style = rng.choice(4, len(phones), p=[0.8, 0.08, 0.07, 0.05])
    plus86 = pc.binary_join_element_wise("+86 ", phones, "")
    dashed = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(phones, 0, 3),
        pc.utf8_slice_codeunits(phones, 3, 7),
        pc.utf8_slice_codeunits(phones, 7, 11),
        "-",
    )
    zero86 = pc.binary_join_element_wise("0086", phones, "")
    out = pc.if_else(pa.array(style == 1), plus86, phones)
    out = pc.if_else(pa.array(style == 2), dashed, out)
    return pc.if_else(pa.array(style == 3), zero86, out)


def _write_truth(
    truth_dir: Path,
    ids: pa.Array,
    traits: dict,
    latent: dict,
    holdings: dict,
    ev: dict,
    start: int,
    list_day: date,
    evidence: Evidence,
) -> tuple[dict[str, Any], np.ndarray]:
    """Write the conversion truth; return its columns and p(answer within 3 attempts) for the channel truth."""
    day = list_day.toordinal()
    answer_any = 1 - (1 - bh.mean_legal_answer(traits["segment"], latent["answer_scale"])) ** bh.ATTEMPTS
    columns: dict[str, Any] = {"customer_id": ids}
    for j, (product_id, *_rest) in enumerate(PRODUCTS):
        logit = product_logit(latent, traits, holdings, ev, j, day, start)
        p_answered, p_alone = bh.conversion_probabilities(logit, latent)
        columns[f"p_call__{product_id}"] = (answer_any * p_answered + (1 - answer_any) * p_alone).astype(np.float32)
        columns[f"p_nocall__{product_id}"] = p_alone.astype(np.float32)
        columns[f"p_answered__{product_id}"] = p_answered.astype(np.float32)
        visible = logit - bh.TYPE_OFFSET[latent["type"]] - latent["taste"]
        columns[f"p_knowable__{product_id}"] = evidence.expected(visible).astype(np.float32)
        columns[f"p_knowable_nocall__{product_id}"] = evidence.expected(visible, answered=False).astype(np.float32)
    pq.write_table(pa.table(columns), truth_dir / "conversion.parquet", compression="zstd")
    pq.write_table(
        pa.table(
            {
                "customer_id": ids,
                "segment": _text([s[0] for s in SEGMENTS], traits["segment"]),
                "answer_scale": latent["answer_scale"].astype(np.float32),
                "response_type": _text(list(bh.TYPES), latent["type"]),
                "p_answer_any_attempt": answer_any.astype(np.float32),
            }
        ),
        truth_dir / "customers.parquet",
        compression="zstd",
    )
    seg, how = np.meshgrid(np.arange(len(SEGMENTS)), np.arange(bh.HOURS_OF_WEEK), indexing="ij")
    pq.write_table(
        pa.table(
            {
                "segment": _text([s[0] for s in SEGMENTS], seg.ravel()),
                "hour_of_week": how.ravel(),
                "p_answer": bh.PROFILE_MATRIX.ravel(),
            }
        ),
        truth_dir / "answer_profiles.parquet",
    )
    meta = {
        "list_date": list_day.isoformat(),
        "horizon_days": HORIZON_DAYS,
        "attempts": bh.ATTEMPTS,
        "p_call": "p(buy within 30 days) if put on a list and dialled up to 3 times at random legal hours",
        "p_nocall": "p(buy within 30 days) if not called",
        "p_answered": "p(buy within 30 days) if a call is answered",
        "p_knowable": "posterior mean of p_answered given everything the tables show (see synth/knowable.py)",
        "p_knowable_nocall": "posterior mean of p_nocall given the same: p_knowable − p_knowable_nocall is the best "
        "increment of an answered call the tables allow",
        "p_answer": "answer_profiles.p_answer[segment, hour_of_week] × customers.answer_scale, capped at 0.95",
    }
    (truth_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return columns, answer_any


def agent_skills(n_agents: int, seed: int, sigma: float = SKILL_SIGMA) -> np.ndarray:
    """Each agent's true skill: a multiplier on p(buy | answered), lognormal with mean 1 (log-sd ``sigma``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SKILL_STREAM,)))
    return np.exp(rng.normal(-(sigma**2) / 2, sigma, n_agents))


def _write_agent_truth(truth_dir: Path, n_agents: int, seed: int) -> None:
    """``agents.parquet``: agent_id, skill. The past campaigns did not use it (their tables predate it)."""
    table = pa.table({"agent_id": [f"A{i:04d}" for i in range(1, n_agents + 1)], "skill": agent_skills(n_agents, seed)})
    pq.write_table(table, truth_dir / "agents.parquet")


def _write_campaign_truth(truth_dir: Path, history: History) -> None:
    """``campaigns.parquet``: per past campaign, members, treatment and the true expected conversions."""
    t = history.arrays("truth")
    with_calls, without = t["expected_with_calls"].astype(float), t["expected_without_calls"].astype(float)
    table = pa.table(
        {
            "campaign_id": [CAMPAIGNS[int(c)][0] for c in t["campaign"]],
            "product_id": [CAMPAIGNS[int(c)][2] for c in t["campaign"]],
            "members": t["members"].astype(np.int64),
            "treatment": t["treatment"].astype(np.int64),
            "expected_conversions": with_calls,
            "expected_conversions_without_calls": without,
            "true_incremental_conversions": with_calls - without,
        }
    )
    pq.write_table(table, truth_dir / "campaigns.parquet")
