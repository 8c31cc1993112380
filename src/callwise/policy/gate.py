"""The gate: the last check of planned calls before anything leaves callwise.

It trusts nothing about how the plan was made. Every call is checked again against the customer verdicts
(eligible, attempts left), the call-time rules on the customer's clock, the minimum gap between attempts,
the rolling frequency cap (history + planned) and the calls per phone number per local day, which binds
customers who share a number. A call that breaks a rule is refused with a reason code; of calls competing for
the same cap, the gate keeps the earliest (and, between customers sharing a phone, the highest priority:
lower ``priority`` first). Every rule is an "at most" or a "no closer than" rule, so refusing a call never
makes another kept call illegal: what the gate keeps is clean.

Phone numbers and time zones are taken from the customer record, not from the plan; a planned number that is
not the one on record is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from callwise.lake import Lake
from callwise.policy.calltime import legal_calls, local_calls, to_utc
from callwise.policy.config import Policy
from callwise.policy.customers import CustomerVerdicts
from callwise.schema.contract import DEFAULT_TIMEZONE

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


class PolicyViolation(AssertionError):
    """Planned calls that the policy does not allow."""


@dataclass(frozen=True)
class GateResult:
    kept: pd.DataFrame  # the calls that may leave, in the order given
    refused: pd.DataFrame  # the others, with a ``reason`` code

    def counts(self) -> dict[str, int]:
        """Refused calls per reason code."""
        return {str(k): int(v) for k, v in self.refused["reason"].value_counts().sort_index().items()}


def load_call_history(lake: Lake, since: date) -> pd.DataFrame:
    """Marketing calls on record from ``since`` on (customer_id, ts in customer-local time), for the gate."""
    if not lake.has("contacts"):
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "ts": pd.Series(dtype="datetime64[us]")})
    k = lake.table("contacts")
    keep = (k.channel == "call") & (k.ts >= datetime.combine(since, time.min))
    return k.filter(keep).select("customer_id", "ts").order_by(["customer_id", "ts"]).to_pandas()


def history_since(policy: Policy, start: date) -> date:
    """The first day of history the gate needs for a plan starting on ``start``."""
    days = max(policy.rules.frequency_cap.days, 1)
    return start - timedelta(days=days)


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
    [call_at, call_at + slot_minutes)), optionally phone, attempt and priority (lower = first).
    ``history``: past marketing calls, customer_id and ts (customer-local); None = only what the verdicts hold.
    """
    _check(calls, verdicts, policy)
    frame = verdicts.frame
    n = len(calls)
    reason = np.full(n, None, dtype=object)
    row = pd.Index(frame["customer_id"]).get_indexer(calls["customer_id"])
    known = row >= 0
    safe = np.where(known, row, 0)
    reason[~known] = "unknown_customer"
    primary = verdicts.primary.to_numpy()[safe]
    _refuse(reason, known & pd.notna(primary), primary)

    phone = frame["phone"].to_numpy(dtype=object)[safe]
    if "phone" in calls.columns:
        _refuse(reason, calls["phone"].astype(str).to_numpy() != phone.astype(str), "phone_mismatch")
    tz = frame["timezone"].to_numpy(dtype=object)[safe]
    call_at = pd.DatetimeIndex(calls["call_at"]).as_unit("us")
    quiet_ok, day_ok = legal_calls(policy, call_at, tz, bank_timezone, slot_minutes)
    _refuse(reason, ~quiet_ok, "quiet_hours")
    _refuse(reason, ~day_ok, "closed_days")

    local = local_calls(call_at, tz, bank_timezone, slot_minutes)
    work = pd.DataFrame(
        {
            "pos": np.arange(n),
            "row": safe,
            "utc": local["utc"].to_numpy(),
            "day": _day_number(local["local_start"]),
            "attempt": calls["attempt"].to_numpy() if "attempt" in calls.columns else np.zeros(n, dtype=np.int64),
            "priority": calls["priority"].to_numpy() if "priority" in calls.columns else np.zeros(n),
        }
    )
    _attempts(reason, work, frame)
    hist = _history(history, frame)
    if policy.enabled("min_gap"):
        _min_gap(reason, work, hist, policy.rules.min_gap.hours)
    if policy.enabled("frequency_cap"):
        _rolling_frequency(reason, work, hist, policy.rules.frequency_cap.calls, policy.rules.frequency_cap.days)
    if policy.enabled("phone_daily_limit"):
        _phone_daily(reason, work, frame, hist, call_at, bank_timezone, policy.rules.phone_daily_limit.max)

    ok = pd.isna(reason)
    refused = calls[~ok].copy()
    refused["reason"] = pd.Series(reason[~ok], index=refused.index, dtype="str")
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


def _refuse(reason: np.ndarray, hit: np.ndarray, code: object) -> None:
    """Give ``code`` (one code or one per call) to calls hit that have no reason yet."""
    fresh = hit & pd.isna(reason)
    reason[fresh] = code[fresh] if isinstance(code, np.ndarray) else code


def _day_number(local: pd.Series) -> np.ndarray:
    """Local calendar day as a day number (days since 1970-01-01)."""
    values = pd.DatetimeIndex(local).as_unit("us").normalize()
    days = (values - pd.Timestamp(0)) // pd.Timedelta(days=1)
    return np.asarray(days.fillna(0), dtype=np.int64)


def _alive(reason: np.ndarray, work: pd.DataFrame) -> pd.DataFrame:
    return work[pd.isna(reason[work["pos"].to_numpy()])]


def _attempts(reason: np.ndarray, work: pd.DataFrame, frame: pd.DataFrame) -> None:
    """At most ``attempts_left`` calls per customer, the earliest kept."""
    alive = _alive(reason, work).sort_values(["row", "utc", "attempt", "pos"], kind="stable")
    nth = alive.groupby("row", sort=False).cumcount().to_numpy()
    rows = alive["row"].to_numpy()
    over = nth >= frame["attempts_left"].to_numpy()[rows]
    campaign_binds = frame["campaign_attempts_left"].to_numpy()[rows] <= frame["frequency_left"].to_numpy()[rows]
    codes = np.where(campaign_binds, "campaign_attempts_cap", "frequency_cap").astype(object)
    pos = alive["pos"].to_numpy()
    reason[pos[over]] = codes[over]


def _history(history: pd.DataFrame | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Past calls of known customers (row, local ts, utc, local day), including each one's last call."""
    last = frame["last_call_at"].notna().to_numpy()
    latest = pd.DataFrame({"row": np.flatnonzero(last), "ts": frame["last_call_at"].to_numpy()[last]})
    latest["ts"] = latest["ts"].astype("datetime64[us]")
    hist = latest
    if history is not None:
        calls = history if "channel" not in history.columns else history[history["channel"] == "call"]
        row = pd.Index(frame["customer_id"]).get_indexer(calls["customer_id"])
        given = pd.DataFrame({"row": row[row >= 0], "ts": pd.to_datetime(calls["ts"].to_numpy()[row >= 0])})
        given["ts"] = given["ts"].astype("datetime64[us]")
        # the verdicts' last call is usually in the history already: add it only when it is not
        seen = latest.merge(given.drop_duplicates(), on=["row", "ts"], how="left", indicator=True)
        hist = pd.concat([given, latest[(seen["_merge"] == "left_only").to_numpy()]], ignore_index=True)
    zones = frame["timezone"].to_numpy(dtype=object)[hist["row"].to_numpy()]
    hist["utc"] = to_utc(hist["ts"], zones).to_numpy()
    hist["day"] = _day_number(hist["ts"])
    return hist[hist["utc"].notna().to_numpy()].reset_index(drop=True)


def _min_gap(reason: np.ndarray, work: pd.DataFrame, hist: pd.DataFrame, hours: float) -> None:
    """No two attempts to one customer closer than ``hours``: against history, then among planned calls."""
    gap = pd.Timedelta(hours=hours).to_timedelta64()
    alive = _alive(reason, work)
    if len(hist) and len(alive):
        base = min(hist["utc"].min(), alive["utc"].min())
        sorted_h = np.sort(_instant_keys(hist["row"], hist["utc"], base))
        keys = _instant_keys(alive["row"], alive["utc"], base)
        width = int(pd.Timedelta(hours=hours).total_seconds())
        # a past call strictly less than the gap before or after the planned one
        too_close = np.searchsorted(sorted_h, keys + width, "left") > np.searchsorted(sorted_h, keys - width, "right")
        reason[alive["pos"].to_numpy()[too_close]] = "min_gap"
    # Among planned calls: refuse the first call closer than the gap to the previous kept one, per customer,
    # until none is left (each pass is vectorised; passes <= calls per customer).
    while True:
        alive = _alive(reason, work).sort_values(["row", "utc", "attempt", "pos"], kind="stable")
        same = alive["row"].to_numpy()[1:] == alive["row"].to_numpy()[:-1]
        close = np.zeros(len(alive), dtype=bool)
        close[1:] = same & (np.diff(alive["utc"].to_numpy()) < gap)
        if not close.any():
            return
        first = pd.Series(close).groupby(alive["row"].to_numpy()).cumsum().to_numpy() == 1
        reason[alive["pos"].to_numpy()[close & first]] = "min_gap"


def _instant_keys(rows: pd.Series, utc: pd.Series, base: np.datetime64) -> np.ndarray:
    """One sortable integer per (customer, second): customer in the high bits, seconds since ``base`` low."""
    seconds = (pd.DatetimeIndex(utc) - pd.Timestamp(base)) // pd.Timedelta(seconds=1)
    seconds = np.asarray(seconds, dtype=np.int64)
    if len(seconds) and seconds.max() >= 2**32:
        raise ValueError("history and plan span more than a century; cannot compare their times")
    return rows.to_numpy(dtype=np.int64) * np.int64(2**32) + seconds


def _day_keys(rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One sortable integer per (group, day number); days may be negative offsets of a few thousand."""
    return rows.astype(np.int64) * np.int64(2**32) + (day.astype(np.int64) + 2**30)


def _rolling_frequency(reason: np.ndarray, work: pd.DataFrame, hist: pd.DataFrame, calls: int, days: int) -> None:
    """In any ``days`` consecutive local days, at most ``calls`` calls (history + planned) per customer.

    Checked at every planned call's day D against the window D-days+1 … D; history dated later than D counts
    too (nothing on record is ignored).
    """
    hist_keys = np.sort(_day_keys(hist["row"].to_numpy(), hist["day"].to_numpy()))
    while True:
        alive = _alive(reason, work).sort_values(["row", "utc", "attempt", "pos"], kind="stable")
        rows, day = alive["row"].to_numpy(dtype=np.int64), alive["day"].to_numpy(dtype=np.int64)
        since = _day_keys(rows, day - days + 1)
        next_customer = (rows + 1) * np.int64(2**32)
        in_history = np.searchsorted(hist_keys, next_customer, "left") - np.searchsorted(hist_keys, since, "left")
        keys = _day_keys(rows, day)
        own = np.arange(len(alive))
        planned = own - np.searchsorted(keys, since, "left") + 1  # kept calls in the window up to this one
        over = in_history + planned > calls
        if not over.any():
            return
        first = pd.Series(over).groupby(rows).cumsum().to_numpy() == 1
        reason[alive["pos"].to_numpy()[over & first]] = "frequency_cap"


def _phone_daily(
    reason: np.ndarray,
    work: pd.DataFrame,
    frame: pd.DataFrame,
    hist: pd.DataFrame,
    call_at: pd.DatetimeIndex,
    bank_timezone: str,
    limit: int,
) -> None:
    """At most ``limit`` calls per phone number per local day, across every customer sharing the number.

    All calls to one number are put on one calendar: the zone of the number's first customer (by id).
    """
    phones = frame["phone"].astype(str).to_numpy(dtype=object)
    phone_code, _ = pd.factorize(phones)
    zone_of_phone = pd.Series(frame["timezone"].to_numpy(dtype=object)).groupby(phone_code).transform("first")
    alive = _alive(reason, work)
    if not len(alive):
        return
    rows = alive["row"].to_numpy()
    positions = alive["pos"].to_numpy()
    local = local_calls(call_at[positions], zone_of_phone.to_numpy()[rows], bank_timezone, 1)
    day = _day_number(local["local_start"])
    phone = phone_code[rows].astype(np.int64)
    used = np.zeros(len(alive), dtype=np.int64)
    if len(hist):
        h_rows = hist["row"].to_numpy()
        h_local = pd.Series(hist["utc"].to_numpy(), dtype="datetime64[us]")
        h_day = _day_number(_utc_to_local(h_local, zone_of_phone.to_numpy()[h_rows]))
        h_keys = np.sort(_day_keys(phone_code[h_rows], h_day))
        keys = _day_keys(phone, day)
        used = np.searchsorted(h_keys, keys, "right") - np.searchsorted(h_keys, keys, "left")
    order = pd.DataFrame(
        {"phone": phone, "day": day, "priority": alive["priority"].to_numpy(), "utc": alive["utc"].to_numpy()}
    )
    order["row"], order["pos"] = rows, positions
    order = order.sort_values(["priority", "utc", "row", "pos"], kind="stable")
    nth = order.groupby(["phone", "day"], sort=False).cumcount().to_numpy()
    over = nth + used[order.index.to_numpy()] >= limit
    reason[order["pos"].to_numpy()[over]] = "phone_daily_limit"


def _utc_to_local(utc: pd.Series, timezones: np.ndarray) -> pd.Series:
    from callwise.policy.calltime import zone

    out = pd.Series(pd.NaT, index=utc.index, dtype="datetime64[us]")
    names = pd.Series(timezones, index=utc.index).astype(str)
    for name, where in names.groupby(names, sort=True).groups.items():
        tz = zone(name)
        if tz is not None:
            idx = pd.DatetimeIndex(utc.loc[where]).tz_localize("UTC")
            out.loc[where] = idx.tz_convert(tz).tz_localize(None).as_unit("us")
    return out
