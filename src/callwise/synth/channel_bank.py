"""Glue between ``synthesize`` and the channel world: the extra rows of the tables and the channel truth.

``ChannelWorld.start`` draws what must exist before the transactions are written (the transfers out); ``see``
taps the transaction stream for salaries and large inflows (the moments they start); ``finish`` runs the
past multi-channel campaigns and returns the tables with the channel rows added; ``write_truth`` writes
``_truth/channels.parquet``, ``moments.parquet``, ``attribution.json`` and ``channels_meta.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callwise.synth import channels as ch
from callwise.synth.activity import DAY, EPOCH, PRODUCTS, events_table
from callwise.synth.channel_campaigns import MC_CAMPAIGNS, TOUCH_DAYS, attribution, run_mc_campaigns
from callwise.synth.people import _text

SALARY = ("工资", "养老金")
LARGE_INFLOW = "理财到期"


@dataclass
class ChannelWorld:
    seed: int
    people: pa.Table
    traits: dict
    latent: dict
    ev: dict
    ids: pa.Array
    start: int
    end: date
    reach: dict[str, np.ndarray] = field(default_factory=dict)
    transfers: pa.Table | None = None
    inflows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)

    @classmethod
    def begin(
        cls, seed: int, people: pa.Table, traits: dict, latent: dict, ev: dict, ids: pa.Array, start: int, end: date
    ) -> ChannelWorld:
        world = cls(seed, people, traits, latent, ev, ids, start, end)
        world.reach = ch.draw_reach(traits, latent, ev, end.toordinal() + 1, ch.stream(seed, 1))
        world.transfers = ch.transfers_out(traits, ch.stream(seed, 4), start, end.toordinal() - start + 1)
        return world

    def see(self, chunk: pa.Table) -> None:
        """Salaries, pensions and large inflows of one chunk of transactions (customer still the row index)."""
        category = chunk.column("category")
        for moment, wanted in (("salary_arrived", list(SALARY)), ("large_inflow", [LARGE_INFLOW])):
            rows = chunk.filter(pc.is_in(category, pa.array(wanted)))
            self.inflows.setdefault(moment, []).append(
                (rows.column("customer_id").to_numpy(), rows.column("ts").cast(pa.int64()).to_numpy())
            )

    def finish(self, tables: dict[str, pa.Table], holdings: dict, n_agents: int) -> dict[str, pa.Table]:
        """Run the multi-channel campaigns; return the tables with every channel row and column added."""
        seed, traits, latent, start = self.seed, self.traits, self.latent, self.start
        end, list_day = self.end.toordinal(), self.end.toordinal() + 1
        self.consents_table, self.consents = ch.draw_consents(
            self.people, traits, latent, self.reach, ch.stream(seed, 0), self.end, self.ids
        )
        bursts = ch.view_bursts(latent, ch.stream(seed, 5), start, end - start + 1)
        all_views = {k: np.concatenate([self.ev[k], bursts[k]]) for k in self.ev}
        n_before = len(holdings["customer"])
        maturity = ch.maturities(holdings, ch.stream(seed, 2), start, list_day)
        bills = ch.card_bills(holdings, len(traits["age"]), ch.stream(seed, 3), start, end)
        inflows = {
            k: (np.concatenate([a for a, _ in v]), np.concatenate([b for _, b in v])) for k, v in self.inflows.items()
        }
        self.moments = ch.plant_moments(
            self.people, holdings, maturity, bills, self.transfers, inflows, all_views, start, list_day
        )
        self.factors = ch.message_factors(traits, latent)
        status = self.people.column("status").to_numpy(zero_copy_only=False)
        opt_out = self.people.column("profiling_opt_out").to_numpy(zero_copy_only=False).astype(bool)
        contactable = (status == "active") & (traits["age"] >= 18) & ~opt_out
        self.history = run_mc_campaigns(
            traits,
            latent,
            holdings,
            self.ev,
            contactable,
            self.consents,
            self.reach,
            self.factors,
            self.moments,
            n_agents,
            seed,
            start,
            ch.stream(seed, 6),
        )
        self._add_holdings(holdings, ch.stream(seed, 7))
        extra = np.arange(n_before, len(holdings["customer"]))
        matures = np.concatenate([maturity[0], self._new_maturities(holdings, extra)])
        closed = np.concatenate([maturity[1], np.full(len(extra), -1)])
        out = dict(tables)
        out["consents"] = self.consents_table
        out["events"] = pa.concat_tables([tables["events"], self._extra_events(bursts, bills)])
        out["contacts"] = pa.concat_tables([tables["contacts"], self._contacts()])
        out["conversions"] = pa.concat_tables([tables["conversions"], self._conversions()])
        out["campaigns"] = pa.concat_tables([tables["campaigns"], self._campaigns()])
        out["campaign_members"] = pa.concat_tables([tables["campaign_members"], self._members()])
        self.maturity = (matures, closed)
        return out

    def holdings_columns(self, order: np.ndarray) -> dict[str, pa.Array]:
        """closed_at and matures_at of the holdings table (rows in ``order``)."""
        matures, closed = (x[order] for x in self.maturity)
        return {"closed_at": _dates(closed), "matures_at": _dates(matures)}

    def _new_maturities(self, holdings: dict, rows: np.ndarray) -> np.ndarray:
        term = np.array([ch.TERMS.get(p[0], -1) for p in PRODUCTS])[holdings["product"][rows]]
        return np.where(term > 0, holdings["opened"][rows] + term, -1)

    def _add_holdings(self, holdings: dict, rng: np.random.Generator) -> None:
        c = self.history.arrays("conversions")
        if not c:
            return
        day = c["seconds"] // DAY + EPOCH
        holdings["customer"] = np.concatenate([holdings["customer"], c["customer"]])
        holdings["product"] = np.concatenate([holdings["product"], c["product"]])
        income = self.traits["income"][c["customer"]]
        holdings["balance"] = np.concatenate(
            [holdings["balance"], np.round(income * rng.lognormal(1.5, 0.8, len(day)), 2)]
        )
        holdings["opened"] = np.concatenate([holdings["opened"], day])

    def _extra_events(self, bursts: dict, bills: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pa.Table:
        views = events_table(bursts)
        views = views.set_column(0, "customer_id", pc.take(self.ids, views.column("customer_id")))
        cust, second, due = bills
        bill = pa.table(
            {
                "customer_id": pc.take(self.ids, pa.array(cust.astype(np.int64))),
                "ts": pa.array(second.astype("datetime64[s]")),
                "event": pa.array(np.full(len(cust), "card_bill")),
                "detail": pc.strftime(_dates(due), "%Y-%m-%d"),
            }
        )
        return pa.concat_tables([views, bill])

    def _contacts(self) -> pa.Table:
        c = self.history.arrays("contacts")
        order = np.lexsort((c["customer"], c["seconds"]))
        c = {k: v[order] for k, v in c.items()}
        n = len(order)
        seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 9, "0")
        call = c["channel"] == 0
        agent = pc.binary_join_element_wise(
            "A", pc.utf8_lpad(pc.cast(pa.array(c["agent"].astype(np.int64)), pa.string()), 4, "0"), ""
        )
        return pa.table(
            {
                "contact_id": pc.binary_join_element_wise("M", seq, ""),
                "campaign_id": _text([x[0] for x in MC_CAMPAIGNS], c["campaign"].astype(int)),
                "customer_id": pc.take(self.ids, pa.array(c["customer"].astype(np.int64))),
                "product_id": _text([p[0] for p in PRODUCTS], c["product"].astype(int)),
                "channel": _text(list(ch.CHANNELS), c["channel"].astype(int)),
                "ts": pa.array(c["seconds"].astype(np.int64).astype("datetime64[s]")),
                "agent_id": pc.if_else(pa.array(call), agent, pa.scalar(None, pa.string())),
                "script_variant": pa.nulls(n, pa.string()),
                "group": pa.array(np.full(n, "treatment")),
                "disposition": pa.array(c["disposition"].astype(str)),
                "duration_s": pa.array(np.where(call, c["duration"], np.nan), mask=~call),
            }
        )

    def _conversions(self) -> pa.Table:
        c = self.history.arrays("conversions")
        order = np.lexsort((c["customer"], c["seconds"]))
        product = c["product"][order].astype(int)
        return pa.table(
            {
                "customer_id": pc.take(self.ids, pa.array(c["customer"][order].astype(np.int64))),
                "product_id": _text([p[0] for p in PRODUCTS], product),
                "ts": pa.array(c["seconds"][order].astype(np.int64).astype("datetime64[s]")),
                "amount": pa.array(np.array([p[4] for p in PRODUCTS])[product] * 50),
            }
        )

    def _campaigns(self) -> pa.Table:
        first = np.array([self.start + c[3] for c in MC_CAMPAIGNS]) - EPOCH
        return pa.table(
            {
                "campaign_id": [c[0] for c in MC_CAMPAIGNS],
                "name": [c[1] for c in MC_CAMPAIGNS],
                "product_id": [c[2] for c in MC_CAMPAIGNS],
                "channel": ["call" if "call" in c[4] else "sms" for c in MC_CAMPAIGNS],
                "start_at": pa.array((first * DAY + 9 * 3600).astype("datetime64[s]")),
                "end_at": pa.array(((first + TOUCH_DAYS + 3) * DAY - 1).astype("datetime64[s]")),
            }
        )

    def _members(self) -> pa.Table:
        m = self.history.arrays("members")
        day = np.array([self.start + c[3] for c in MC_CAMPAIGNS])[m["campaign"].astype(int)]
        return pa.table(
            {
                "campaign_id": _text([c[0] for c in MC_CAMPAIGNS], m["campaign"].astype(int)),
                "customer_id": pc.take(self.ids, pa.array(m["customer"].astype(np.int64))),
                "group": _text(["treatment", "control"], m["control"].astype(int)),
                "arm": pa.array(m["arm"].astype(str), pa.string(), mask=m["control"].astype(bool)),
                "assigned_at": pa.array(((day - EPOCH) * DAY - 86_400 + 18 * 3600).astype("datetime64[s]")),
            }
        )

    def write_truth(
        self, truth_dir: Path, conversion: dict[str, np.ndarray], answer_any: np.ndarray, list_day: date
    ) -> None:
        """``channels.parquet``, ``moments.parquet``, ``attribution.json``, ``channels_meta.json``."""
        n = len(self.traits["age"])
        list_s = (list_day.toordinal() - EPOCH) * DAY
        boost = self.moments.boost_at(np.arange(n), np.full(n, list_s))
        columns: dict[str, Any] = {"customer_id": self.ids}
        for c in ch.CHANNELS:
            columns[f"reach__{c}"] = pa.array(self.reach[c])
        for c in ch.CHANNELS:
            factor = answer_any if c == "call" else self.factors[c] * self.reach[c]
            for product_id, *_rest in PRODUCTS:
                base = conversion[f"p_answered__{product_id}"] - conversion[f"p_nocall__{product_id}"]
                columns[f"inc__{c}__{product_id}"] = (base * factor * boost).astype(np.float32)
        columns["moment_boost"] = boost.astype(np.float32)
        pq.write_table(pa.table(columns), truth_dir / "channels.parquet", compression="zstd")
        m = self.moments
        pq.write_table(
            pa.table(
                {
                    "customer_id": pc.take(self.ids, pa.array(m.customer)),
                    "moment_id": _text(list(ch.MOMENT_IDS), m.moment.astype(int)),
                    "starts_at": pa.array(m.start.astype("datetime64[s]")),
                    "ends_at": pa.array(m.end.astype("datetime64[s]")),
                    "boost": pa.array(m.boost.astype(np.float32)),
                }
            ),
            truth_dir / "moments.parquet",
            compression="zstd",
        )
        _json(truth_dir / "attribution.json", attribution(self.history))
        _json(truth_dir / "channels_meta.json", meta(list_day, float((boost > 1).mean())))


def meta(list_day: date, live_share: float) -> dict[str, Any]:
    return {
        "list_date": list_day.isoformat(),
        "model": (
            "one touch of channel c at time t of customer i about product j adds "
            "inc = (p_answered − p_nocall)_ij(t) × f_c(i) × boost_i(t) × reach_c(i) to p(buy j within 30 days); "
            "increments of several touches add up (the probability is clipped to [0, 1]). "
            "f_call = p(answered within 3 attempts at random legal hours), "
            "so inc for a call = (p_call − p_nocall) × boost; "
            "boost_i(t) = the largest boost of the moments live for the customer at t, 1 when none"
        ),
        "message_factors": {
            "sms": "0.05 + 0.08 × (age ≥ 50)",
            "app_push": "0.03 + 0.22 × digital × young",
            "wechat": "0.03 + 0.15 × digital + 0.07 × young",
            "email": "0.02 + 0.03 × (education ≥ 本科)",
            "digital": "the hidden digital affinity (capped at 1) that drives app events",
            "young": "clip((55 − age) / 30, 0, 1)",
        },
        "reach": {
            "call": "everyone (a call's answering is in f_call)",
            "sms": "97% (the rest take no SMS: a send fails)",
            "app_push": "app users (an app_login event in the 90 days before the list date) with push on: "
            "35% + 60% × digital",
            "wechat": "WeChat bound: 10% + 65% × digital",
            "email": "email on file: 8% + 25% × (education ≥ 本科)",
        },
        "boosts": ch.BOOSTS,
        "windows": ch.WINDOWS,
        "live_share_at_list_date": live_share,
        "suggested_costs_cny": {**ch.COSTS, "call_unit": "per list place (up to 3 attempts)"},
        "sms_daily_send_limit": ch.SMS_DAILY_LIMIT,
        "consents": "a row per customer and channel for purpose marketing; the call row is customers.consent_marketing "
        "at consent_updated_at; 8% of message grants were later withdrawn (a newer row granted = false)",
        "history": "the four old call campaigns predate the channel world: no boost applied to them; the multi-channel "
        "campaigns (MC…) apply it",
    }


def _dates(ordinals: np.ndarray) -> pa.Array:
    values = np.where(ordinals >= 0, ordinals - EPOCH, 0).astype("datetime64[D]")
    return pa.array(values, mask=ordinals < 0).cast(pa.date32())


def _json(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
