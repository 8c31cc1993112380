"""The gate: the last check of planned calls before anything leaves callwise.

It trusts nothing about how the plan was made. Every call is checked again against the customer verdicts
(eligible, attempts left), the call-time rules on the customer's clock, the minimum gap between attempts,
the rolling frequency cap (history + planned) and the calls per phone number per local day, which binds
customers who share a number. A call that breaks a rule is refused with a reason code; of calls competing for
the same cap, the gate keeps the earliest (and, between calls to one number on one day, the highest priority:
lower ``priority`` first). Every rule is an "at most" or a "no closer than" rule, so refusing a call never
makes another kept call illegal: what the gate keeps is clean.

Phone numbers and time zones are taken from the customer record, not from the plan; a planned number that is
not the one on record is refused. Times are handled as integer microseconds (UTC for gaps, local wall clock
for days); the calls are sorted once and every check works on that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.policy.calltime import (
    US_PER_DAY,
    bank_utc,
    legal_by_code,
    local_from_utc,
    utc_from_local,
    zone_codes,
)
from callwise.policy.config import Policy
from callwise.policy.customers import CustomerVerdicts
from callwise.policy.live import all_contacts
from callwise.policy.phones import (
    DAY0,
    GROUP,
    NumberCalendar,
    NumberDays,
    count_in,
    nth_in_group,
    number_calendar,
    plan_number_days,
)
from callwise.schema.contract import DEFAULT_TIMEZONE, PHONE_KEY

GATE_CODES = (
    "unknown_customer",
    "phone_mismatch",
    "quiet_hours",
    "closed_days",
    "campaign_attempts_cap",
    "frequency_cap",
    "min_gap",
    "phone_daily_limit",
)  # plus the customer rule codes, for calls to customers the verdicts exclude


class PolicyViolation(RuntimeError):
    """Planned calls that the policy does not allow: a refused plan, not a failed internal check."""


@dataclass(frozen=True)
class GateResult:
    kept: pd.DataFrame  # the calls that may leave, in the order given
    refused: pd.DataFrame  # the others, with a ``reason`` code

    def counts(self) -> dict[str, int]:
        """Refused calls per reason code."""
        return {str(k): int(v) for k, v in self.refused["reason"].value_counts().sort_index().items()}


def load_call_history(lake: Lake, since: date) -> pd.DataFrame:
    """Marketing calls on record from ``since`` on (customer_id, ts in customer-local time), for the gate."""
    k = all_contacts(lake)
    if k is None:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "ts": pd.Series(dtype="datetime64[us]")})
    keep = (k.channel == "call") & (k.ts >= datetime.combine(since, time.min))
    return to_pandas(k.filter(keep).select("customer_id", "ts").order_by(["customer_id", "ts"]))


def history_since(policy: Policy, start: date) -> date:
    """The first day of history the gate needs for a plan starting on ``start``."""
    return start - timedelta(days=max(policy.rules.frequency_cap.days, 1))


@dataclass
class _Calls:
    """The planned calls as arrays, sorted by customer, time, attempt; ``pos`` maps back to the input."""

    pos: np.ndarray
    row: np.ndarray  # the customer's row in the verdicts frame
    utc: np.ndarray  # microseconds
    day: np.ndarray  # local day number on the customer's clock
    priority: np.ndarray


def gate(
    calls: pd.DataFrame,
    verdicts: CustomerVerdicts,
    policy: Policy,
    history: pd.DataFrame | None = None,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> GateResult:
    """Keep the planned calls the policy allows; refuse the rest with a reason code.

    ``calls``: customer_id, call_at (naive, bank clock; the call may be placed anywhere in
    [call_at, call_at + slot_minutes)), optionally :data:`PHONE_KEY` (the phone's look-up hash), attempt and
    priority (lower = first).
    ``history``: marketing calls on record, customer_id and ts (customer-local; a ``channel`` column, if
    present, keeps ``call`` only). Without it the gate knows each customer's last call only: pass it whenever
    calls may already have been made on the plan's days.
    """
    _check(calls, verdicts, policy)
    frame = verdicts.frame
    n = len(calls)
    out = _Refusals(n)
    row = _positions(calls["customer_id"], frame["customer_id"])
    known = row >= 0
    row = np.where(known, row, 0)
    out.refuse(~known, "unknown_customer")
    code_of_customer, code_names = pd.factorize(verdicts.primary)  # -1 = eligible
    code = code_of_customer[row]
    excluded = np.flatnonzero((code >= 0) & out.open)
    out.refuse_at(excluded, np.asarray(code_names, dtype=object)[code[excluded]])
    if PHONE_KEY in calls.columns:
        on_record = pa.array(frame[PHONE_KEY], pa.binary()).take(pa.array(row))
        same = pc.equal(pa.array(calls[PHONE_KEY], pa.binary()), on_record)
        out.refuse(~pc.fill_null(same, False).to_numpy(zero_copy_only=False), "phone_mismatch")

    zone_of_customer, zones = zone_codes(frame["timezone"])
    utc = bank_utc(calls["call_at"], bank_timezone)
    quiet_ok, day_ok = legal_by_code(policy, utc, zone_of_customer[row], zones, slot_minutes)
    out.refuse(~quiet_ok, "quiet_hours")
    out.refuse(~day_ok, "closed_days")

    local, _ = local_from_utc(utc, zone_of_customer[row], zones)
    attempt = calls["attempt"].to_numpy(dtype=np.int64) if "attempt" in calls.columns else np.zeros(n, np.int64)
    priority = calls["priority"].to_numpy(dtype=float) if "priority" in calls.columns else np.zeros(n)
    order = np.lexsort((np.arange(n), attempt, utc, row))
    planned_calls = _Calls(order, row[order], utc[order], np.floor_divide(local, US_PER_DAY)[order], priority[order])
    hist = _history(history, frame, zone_of_customer, zones)

    _attempts(out, planned_calls, frame)
    if policy.enabled("min_gap"):
        _min_gap(out, planned_calls, hist, policy.rules.min_gap.hours)
    if policy.enabled("frequency_cap"):
        cap = policy.rules.frequency_cap
        _rolling_frequency(out, planned_calls, hist, cap.calls, cap.days)
    if policy.enabled("phone_daily_limit"):
        numbers = number_calendar(frame, zone_of_customer, zones)
        _phone_daily(out, planned_calls, hist, numbers, policy.rules.phone_daily_limit.max)

    ok = out.open
    refused = calls[~ok].copy()
    refused["reason"] = pd.Series(out.reason[~ok], index=refused.index, dtype="str")
    return GateResult(kept=calls[ok].copy(), refused=refused)


def assert_clean(
    calls: pd.DataFrame,
    verdicts: CustomerVerdicts,
    policy: Policy,
    history: pd.DataFrame | None = None,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> None:
    """Raise :class:`PolicyViolation` naming the rules broken when the gate would refuse any call."""
    result = gate(calls, verdicts, policy, history, bank_timezone, slot_minutes)
    if len(result.refused):
        broken = ", ".join(f"{code} ×{count}" for code, count in result.counts().items())
        raise PolicyViolation(f"{len(result.refused)} of {len(calls)} planned calls break the policy: {broken}")


def _check(calls: pd.DataFrame, verdicts: CustomerVerdicts, policy: Policy) -> None:
    missing = [c for c in ("customer_id", "call_at") if c not in calls.columns]
    if missing:
        raise ValueError(f"planned calls need the column(s) {', '.join(missing)}")
    if verdicts.policy.sha256 != policy.sha256:
        raise ValueError("the customer verdicts were made under a different policy (sha256 differs)")


class _Refusals:
    """A reason per refused call, and which calls are still open (kept in step, so no scan of the reasons)."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.open = np.ones(n, dtype=bool)

    def refuse(self, hit: np.ndarray, code: object) -> None:
        """Give ``code`` (one code or one per call) to the open calls hit."""
        fresh = hit & self.open
        self.reason[fresh] = code[fresh] if isinstance(code, np.ndarray) else code
        self.open &= ~fresh

    def refuse_at(self, positions: np.ndarray, code: object) -> None:
        """Refuse the calls at ``positions`` (input order), all open, with ``code``."""
        self.reason[positions] = code
        self.open[positions] = False

    def alive(self, calls: _Calls) -> np.ndarray:
        """Positions (in sorted order) of the calls not refused so far."""
        return np.flatnonzero(self.open[calls.pos])


def _positions(values: pd.Series, ids: pd.Series) -> np.ndarray:
    """Row of each value in the unique ``ids`` (-1 when absent), by Arrow's hash look-up."""
    found = pc.index_in(pa.array(values.astype("str")), value_set=pa.array(ids.astype("str")))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _first_hit_per_group(hit: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The first true of ``hit`` within each run of equal ``groups``."""
    running = np.cumsum(hit)
    before_group = (running - hit)[np.maximum.accumulate(np.where(nth_in_group(groups) == 0, np.arange(len(hit)), 0))]
    return np.asarray(hit & (running - before_group == 1))


def _attempts(out: _Refusals, calls: _Calls, frame: pd.DataFrame) -> None:
    """At most ``attempts_left`` calls per customer, the earliest kept."""
    alive = out.alive(calls)
    rows = calls.row[alive]
    over = nth_in_group(rows) >= frame["attempts_left"].to_numpy(dtype=np.int64)[rows]
    campaign_binds = (
        frame["campaign_attempts_left"].to_numpy(dtype=np.int64)[rows]
        <= frame["frequency_left"].to_numpy(dtype=np.int64)[rows]
    )
    codes = np.where(campaign_binds, "campaign_attempts_cap", "frequency_cap").astype(object)
    out.refuse_at(calls.pos[alive[over]], codes[over])


@dataclass
class _History:
    row: np.ndarray
    utc: np.ndarray
    day: np.ndarray  # local day number on the customer's clock


def _history(
    history: pd.DataFrame | None, frame: pd.DataFrame, zone_of_customer: np.ndarray, zones: np.ndarray
) -> _History:
    """Past calls of known customers, plus each one's last call from the verdicts when it is not among them."""
    last = frame["last_call_at"].notna().to_numpy()
    rows = [np.flatnonzero(last)]
    stamps = [frame["last_call_at"].to_numpy(dtype="datetime64[us]")[last]]
    if history is not None and len(history):
        calls = history if "channel" not in history.columns else history[history["channel"] == "call"]
        row = _positions(calls["customer_id"], frame["customer_id"])
        given = pd.DataFrame({"row": row, "ts": calls["ts"].to_numpy(dtype="datetime64[us]")})[row >= 0]
        latest = pd.DataFrame({"row": rows[0], "ts": stamps[0]})
        missing = latest.merge(given.drop_duplicates(), on=["row", "ts"], how="left", indicator=True)
        keep = (missing["_merge"] == "left_only").to_numpy()
        rows = [given["row"].to_numpy(), rows[0][keep]]
        stamps = [given["ts"].to_numpy(), stamps[0][keep]]
    row, ts = np.concatenate(rows).astype(np.int64), np.concatenate(stamps).astype("datetime64[us]")
    row, ts = row[~np.isnat(ts)], ts[~np.isnat(ts)]
    utc, known = utc_from_local(ts, zone_of_customer[row], zones)
    day = np.floor_divide(ts.astype(np.int64), US_PER_DAY)
    return _History(row[known], utc[known], day[known])


def _min_gap(out: _Refusals, calls: _Calls, hist: _History, hours: float) -> None:
    """No two attempts to one customer closer than ``hours``: against history, then among planned calls."""
    width = round(hours * 3600 * 1_000_000)
    alive = out.alive(calls)
    if len(hist.row) and len(alive):
        base = min(hist.utc.min(), calls.utc[alive].min())
        seconds = 1_000_000
        sorted_h = np.sort(hist.row * GROUP + (hist.utc - base) // seconds)
        keys = calls.row[alive] * GROUP + (calls.utc[alive] - base) // seconds
        # a call on record strictly less than the gap before or after the planned one
        w = width // seconds
        too_close = np.searchsorted(sorted_h, keys + w, "left") > np.searchsorted(sorted_h, keys - w, "right")
        out.refuse_at(calls.pos[alive[too_close]], "min_gap")
    # Among planned calls: refuse the first call closer than the gap to the previous kept one, per customer,
    # until none is left (each pass is vectorised; passes <= calls per customer).
    while True:
        alive = out.alive(calls)
        rows, utc = calls.row[alive], calls.utc[alive]
        close = np.zeros(len(alive), dtype=bool)
        close[1:] = (rows[1:] == rows[:-1]) & (np.diff(utc) < width)
        if not close.any():
            return
        out.refuse_at(calls.pos[alive[_first_hit_per_group(close, rows)]], "min_gap")


def _rolling_frequency(out: _Refusals, calls: _Calls, hist: _History, most: int, days: int) -> None:
    """In any ``days`` consecutive local days, at most ``most`` calls (history + planned) per customer.

    Checked at every planned call's day D against the window D-days+1 … D; history dated later than D counts
    too (nothing on record is ignored).
    """
    hist_keys = np.sort(hist.row * GROUP + (hist.day + DAY0))
    while True:
        alive = out.alive(calls)
        rows, day = calls.row[alive], calls.day[alive]
        since = rows * GROUP + (day - days + 1 + DAY0)
        in_history = np.searchsorted(hist_keys, (rows + 1) * GROUP, "left") - np.searchsorted(hist_keys, since)
        keys = rows * GROUP + (day + DAY0)
        planned = np.arange(len(alive)) - np.searchsorted(keys, since) + 1  # kept calls in the window, this one too
        over = in_history + planned > most
        if not over.any():
            return
        out.refuse_at(calls.pos[alive[_first_hit_per_group(over, rows)]], "frequency_cap")


def _phone_daily(out: _Refusals, calls: _Calls, hist: _History, numbers: NumberCalendar, limit: int) -> None:
    """At most ``limit`` calls per phone number per local day, across every customer sharing the number.

    All calls to one number are put on one calendar (see :mod:`callwise.policy.phones`).
    """
    alive = out.alive(calls)
    if not len(alive):
        return
    rows = calls.row[alive]
    keys = numbers.keys(rows, numbers.days(rows, calls.utc[alive], calls.day[alive]))
    used = count_in(_record_keys(hist, numbers), keys)
    # by number and day; within a day the highest priority first, then the earliest
    order = np.lexsort((alive, calls.utc[alive], calls.priority[alive], keys))
    over = nth_in_group(keys[order]) + used[order] >= limit
    out.refuse_at(calls.pos[alive[order[over]]], "phone_daily_limit")


def _record_keys(hist: _History, numbers: NumberCalendar) -> np.ndarray:
    """(number, day) key of every call on record, sorted."""
    return np.sort(numbers.keys(hist.row, numbers.days(hist.row, hist.utc, hist.day)))


def number_days(
    verdicts: CustomerVerdicts,
    policy: Policy,
    customer_ids: pd.Series,
    slot_starts: np.ndarray,
    slot_day: np.ndarray,
    history: pd.DataFrame | None = None,
    bank_timezone: str = DEFAULT_TIMEZONE,
) -> NumberDays | None:
    """What the scheduler needs to keep the phone rule as the gate counts it (None when the rule is off).

    ``customer_ids`` are the customers to plan (all in the verdicts), ``slot_starts`` the slots' starts on the
    bank clock with their campaign day ``slot_day``; ``history`` as for :func:`gate`.
    """
    if not policy.enabled("phone_daily_limit"):
        return None
    frame = verdicts.frame
    zone_of_customer, zones = zone_codes(frame["timezone"])
    numbers = number_calendar(frame, zone_of_customer, zones)
    rows = _positions(pd.Series(customer_ids), frame["customer_id"])
    if (rows < 0).any():
        raise ValueError("every customer to plan must be in the verdicts")
    hist = _history(history, frame, zone_of_customer, zones)
    utc = bank_utc(slot_starts, bank_timezone)
    record = _record_keys(hist, numbers)
    return plan_number_days(numbers, rows, utc, np.asarray(slot_day), record, policy.rules.phone_daily_limit.max)
