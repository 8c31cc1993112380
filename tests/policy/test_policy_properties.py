"""Property tests: random customers, histories and plans; nothing the gate keeps breaks any rule.

Every rule is re-implemented here the plain way (loops, Python datetimes, zoneinfo), independently of the
vectorised engine, and used as the judge: the customer verdicts must agree with it exactly, and every call
the gate keeps must pass it.
"""

from __future__ import annotations

import calendar
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callwise.policy import (
    CODES,
    CUSTOMER_CODES,
    CUSTOMER_RULES,
    UNCAPPED,
    CustomerVerdicts,
    default_policy,
    evaluate_customers,
    gate,
    load_policy,
)
from callwise.policy.customers import primary_and_reasons
from callwise.schema.contract import DISPOSITIONS, PHONE_KEY
from tests.policy.helpers import phone_key, write_lake

START = date(2026, 7, 6)  # a Monday
END = START + timedelta(days=2)
BANK = "Asia/Shanghai"
ADULT, NOON = date(1985, 1, 1), time(12)
PHONES = ["13800000001", "13800000002", "13800000003"]
ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "", None]
PRODUCTS = [
    {"product_id": "W1", "risk_level": "R3", "min_age": 18, "max_age": 65},
    {"product_id": "W1", "risk_level": None, "min_age": None, "max_age": None},
    {"product_id": "W1", "risk_level": "R1", "min_age": 25, "max_age": None},
]
VARIANTS = {
    "default": None,
    "loose": """name: loose
version: 1
rules:
  refusal_cooldown: {days: 30}
  recent_complaint: {days: 60}
  profiling_opt_out: {mode: non_personalised}
  campaign_attempts_cap: {max: 2}
  frequency_cap: {calls: 3, days: 7}
  closed_days: {dates: ['2026-07-07'], weekdays: [sun]}
  phone_daily_limit: {max: 3}
  min_gap: {hours: 3}
""",
    "wide": """name: wide
version: 1
rules:
  age_unknown: {enabled: false}
  quiet_hours: {start: '20:00', end: '10:00'}
  phone_daily_limit: {max: 2}
  min_gap: {hours: 5.5}
  risk_assessment_expired: {valid_months: 6}
""",
}


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    root = tmp_path_factory.mktemp("policies")
    out = {}
    for name, text in VARIANTS.items():
        if text is None:
            out[name] = default_policy()
        else:
            (root / f"{name}.yaml").write_text(text, encoding="utf-8")
            out[name] = load_policy(root / f"{name}.yaml")
    return out


# ---------------------------------------------------------------- random inputs


def mostly(usual, *rare):
    """Usually ``usual`` (a value or a strategy), sometimes one of ``rare``: most customers can be called."""

    def strategy(value):
        return value if isinstance(value, st.SearchStrategy) else st.just(value)

    return rarely().flatmap(lambda odd: st.one_of(*map(strategy, rare)) if odd else strategy(usual))


def rarely():
    """True about one time in twenty (the odd one sits mid-list, away from where generation likes to look)."""
    return st.sampled_from([False] * 10 + [True] + [False] * 9)


def near(day: date, spread: int):
    return st.integers(-spread, spread).map(lambda d: day + timedelta(days=d))


def at_noon(day: date) -> datetime:
    return datetime.combine(day, NOON)


customers_st = st.lists(
    st.fixed_dictionaries(
        {
            "phone": st.sampled_from(PHONES),
            "timezone": st.sampled_from(ZONES),
            "birth_date": mostly(near(ADULT, 9), near(date(2008, 7, 7), 4), near(date(1961, 7, 7), 4), None),
            "risk_tolerance": mostly(st.sampled_from(["C3", "C4", "C5"]), "C1", "C2", None),
            "risk_assessed_at": mostly(near(date(2026, 1, 7), 4), near(date(2025, 7, 7), 4), None),
            "consent_marketing": mostly(True, False, None),
            "profiling_opt_out": mostly(False, True, None),
            "dnc": mostly(False, True, None),
            "complaint_last_at": mostly(None, *[at_noon(START - timedelta(days=d)) for d in (1, 58, 59, 60, 61)]),
            "status": mostly("active", "frozen", "deceased", None),
        }
    ),
    min_size=2,
    max_size=6,
)

contact_st = st.fixed_dictionaries(
    {
        "days_ago": st.integers(0, 40),
        "hour": st.integers(0, 23),
        "minute": st.integers(0, 59),
        "channel": mostly("call", "sms"),
        "disposition": mostly(st.sampled_from(["no_answer", "busy", "answered"]), *DISPOSITIONS),
        "campaign_id": st.sampled_from(["CMP", "OTHER", None]),
    }
)

call_st = st.fixed_dictionaries(
    {
        "day": st.integers(0, 2),
        "hour": st.integers(8, 22),  # bank clock: 08:00 and 21:00 are quiet in Beijing, not in Urumqi
        "minute": st.sampled_from([0, 0, 30]),
        "priority": st.floats(0, 1, allow_nan=False),
        "other_phone": st.sampled_from([None] * 6 + PHONES[:1]),
    }
)


@st.composite
def worlds(draw):
    people = draw(customers_st)
    for i, person in enumerate(people):
        person["customer_id"] = f"C{i:02d}"
    # Without the call history the gate sees the verdicts only, which know the plan's own days from the last
    # call alone; the history is then kept to the days before (see the gate's docstring).
    pass_history = draw(st.booleans())
    contacts = []
    for person in people:
        for spec in draw(st.lists(contact_st, max_size=4)):
            if not pass_history and spec["days_ago"] < 2:
                continue
            day = START - timedelta(days=spec["days_ago"])
            ts = datetime(day.year, day.month, day.day, spec["hour"], spec["minute"])
            contacts.append(
                {
                    "contact_id": f"K{len(contacts)}",
                    "campaign_id": spec["campaign_id"],
                    "customer_id": person["customer_id"],
                    "channel": spec["channel"],
                    "ts": ts,
                    "disposition": spec["disposition"],
                }
            )
    holdings = [
        {"customer_id": p["customer_id"], "product_id": "W1", "opened_at": date(2025, 1, 1), "closed_at": closed}
        for p in people
        if draw(mostly(False, True))
        for closed in [draw(st.one_of(st.none(), near(START, 3)))]
    ]
    ids = [p["customer_id"] for p in people]
    phone_of = {p["customer_id"]: p["phone"] for p in people}
    calls = []
    for spec in draw(st.lists(call_st, min_size=6, max_size=30)):
        cid = "C99" if draw(rarely()) else draw(st.sampled_from(ids))  # now and then someone unknown
        day = START + timedelta(days=spec["day"])
        calls.append(
            {
                "customer_id": cid,
                "call_at": datetime(day.year, day.month, day.day, spec["hour"], spec["minute"]),
                "priority": spec["priority"],
                "phone": spec["other_phone"] or phone_of.get(cid, PHONES[0]),
            }
        )
    return {
        "people": people,
        "contacts": contacts,
        "holdings": holdings,
        "calls": calls,
        "product": draw(st.sampled_from(PRODUCTS)),
        "variant": draw(st.sampled_from(sorted(VARIANTS))),
        "pass_history": pass_history,
    }


# ---------------------------------------------------------------- the plain reference


def years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reference_customer(person, contacts, holdings, product, policy):
    """(every reason code in rule order, attempts left) for one customer, the slow and obvious way."""
    r = policy.rules
    mine = [k for k in contacts if k["customer_id"] == person["customer_id"]]
    calls = [k for k in mine if k["channel"] == "call"]
    born = person.get("birth_date")
    age_start = years(born, START) if born else None
    age_end = years(born, END) if born else None
    level = product["risk_level"]
    tolerance = person.get("risk_tolerance")
    assessed = person.get("risk_assessed_at")
    complaints = [k["ts"].date() for k in mine if k["disposition"] == "complaint"]
    if person.get("complaint_last_at"):
        complaints.append(person["complaint_last_at"].date())
    campaign_left = r.campaign_attempts_cap.max - sum(k["campaign_id"] == "CMP" for k in calls)
    window_from = START - timedelta(days=r.frequency_cap.days - 1)
    frequency_left = r.frequency_cap.calls - sum(k["ts"].date() >= window_from for k in calls)
    checks = {
        "inactive_status": person.get("status") in r.inactive_status.statuses,
        "dnc": person.get("dnc") is True or any(k["disposition"] == "dnc_requested" for k in mine),
        "no_consent": person.get("consent_marketing") is not True,
        "refusal_cooldown": any(
            (START - k["ts"].date()).days < r.refusal_cooldown.days for k in calls if k["disposition"] == "refused"
        ),
        "recent_complaint": any((START - d).days < r.recent_complaint.days for d in complaints),
        "age_unknown": age_start is None,
        "under_age": age_start is not None and age_start < r.under_age.min_age,
        "product_age_limit": age_start is not None
        and (
            (product["min_age"] is not None and age_start < product["min_age"])
            or (product["max_age"] is not None and age_end > product["max_age"])
        ),
        "unsuitable_risk": level is not None and (tolerance is None or int(tolerance[1]) < int(level[1])),
        "risk_assessment_expired": level is not None
        and (assessed is None or add_months(assessed, r.risk_assessment_expired.valid_months) <= END),
        "profiling_opt_out": person.get("profiling_opt_out") is True and r.profiling_opt_out.mode == "exclude",
        "holds_product": any(
            h["customer_id"] == person["customer_id"] and (h["closed_at"] is None or h["closed_at"] > START)
            for h in holdings
        ),
        "campaign_attempts_cap": campaign_left <= 0,
        "frequency_cap": frequency_left <= 0,
    }
    codes = [CODES[rule] for rule in CUSTOMER_RULES if policy.enabled(rule) and checks[rule]]
    caps = {"campaign_attempts_cap": campaign_left, "frequency_cap": frequency_left}
    left = [max(value, 0) for rule, value in caps.items() if policy.enabled(rule)]
    return codes, min(left) if left else None


def inputs(world) -> tuple:
    return world["contacts"], world["holdings"], world["product"]


def zone_of(person) -> ZoneInfo:
    return ZoneInfo(person.get("timezone") or "Asia/Shanghai")


def to_local(bank_time: datetime, tz: ZoneInfo) -> datetime:
    return bank_time.replace(tzinfo=ZoneInfo(BANK)).astimezone(tz).replace(tzinfo=None)


def utc_of_local(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def quiet(minute_of_day: int, policy) -> bool:
    start = int(policy.rules.quiet_hours.start[:2]) * 60 + int(policy.rules.quiet_hours.start[3:])
    end = int(policy.rules.quiet_hours.end[:2]) * 60 + int(policy.rules.quiet_hours.end[3:])
    return start <= minute_of_day < end if start < end else minute_of_day >= start or minute_of_day < end


def closed(day: date, policy) -> bool:
    c = policy.rules.closed_days
    return c.enabled and (
        day in c.dates or ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.weekday()] in c.weekdays
    )


def violations(calls, world, policy, eligible=None) -> list[str]:
    """Every rule the given calls break, judged call by call and pair by pair."""
    people = {p["customer_id"]: p for p in world["people"]}
    history = [k for k in world["contacts"] if k["channel"] == "call"]
    found = []
    if eligible is None:
        eligible = {cid: reference_customer(p, *inputs(world), policy) for cid, p in people.items()}
    per_customer: dict[str, list[datetime]] = {}
    for call in calls:
        person = people.get(call["customer_id"])
        if person is None:
            found.append("unknown customer")
            continue
        codes, left = eligible[call["customer_id"]]
        if codes:
            found.append(f"excluded customer {codes}")
        on_call = call[PHONE_KEY] if PHONE_KEY in call else phone_key(call["phone"])  # gate output: hashed
        if on_call != phone_key(person["phone"]):
            found.append("wrong phone")
        local = to_local(call["call_at"], zone_of(person))
        if any(quiet(((local + timedelta(minutes=m)).hour * 60 + (local + timedelta(minutes=m)).minute), policy)
               for m in range(60)):  # fmt: skip
            found.append(f"quiet hours at {local}")
        if closed(local.date(), policy) or closed((local + timedelta(minutes=59)).date(), policy):
            found.append(f"closed day {local}")
        per_customer.setdefault(call["customer_id"], []).append(call["call_at"])
    r = policy.rules
    for cid, times in per_customer.items():
        person, (_, left) = people[cid], eligible[cid]
        tz = zone_of(person)
        if left is not None and len(times) > left:
            found.append(f"{cid}: {len(times)} calls, {left} left")
        planned_utc = [utc_of_local(to_local(t, tz), tz) for t in times]
        past_utc = [utc_of_local(k["ts"], tz) for k in history if k["customer_id"] == cid]
        if r.min_gap.enabled:
            gap = timedelta(hours=r.min_gap.hours)
            for i, a in enumerate(planned_utc):
                if any(abs(a - b) < gap for b in planned_utc[i + 1 :] + past_utc):
                    found.append(f"{cid}: gap")
        if r.frequency_cap.enabled:
            planned_days = [to_local(t, tz).date() for t in times]
            past_days = [k["ts"].date() for k in history if k["customer_id"] == cid]
            for d in planned_days:
                since = d - timedelta(days=r.frequency_cap.days - 1)
                count = sum(p >= since for p in past_days) + sum(since <= q <= d for q in planned_days)
                if count > r.frequency_cap.calls:
                    found.append(f"{cid}: {count} calls in the window ending {d}")
    if r.phone_daily_limit.enabled:
        by_day: dict[tuple[str, date], int] = {}
        owners = {}
        for cid in sorted(people):
            owners.setdefault(people[cid]["phone"], zone_of(people[cid]))
        for call in calls:
            if call["customer_id"] in people:
                phone = people[call["customer_id"]]["phone"]
                key = (phone, to_local(call["call_at"], owners[phone]).date())
                by_day[key] = by_day.get(key, 0) + 1
        for k in history:
            phone = people[k["customer_id"]]["phone"]
            utc = utc_of_local(k["ts"], zone_of(people[k["customer_id"]]))
            key = (phone, utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(owners[phone]).date())
            if key in by_day:
                by_day[key] += 1
        found += [f"phone {key}: {n} calls" for key, n in by_day.items() if n > r.phone_daily_limit.max]
    return found


# ---------------------------------------------------------------- the properties


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_customer_verdicts_agree_with_the_plain_reference(policies, world):
    policy = policies[world["variant"]]
    with tempfile.TemporaryDirectory() as tmp:
        lake = write_lake(Path(tmp), world["people"], world["contacts"], world["holdings"])
        verdicts = evaluate_customers(lake, policy, world["product"], "CMP", START, END)
    for person, primary, reasons, left in zip(
        world["people"], verdicts.primary, verdicts.reasons, verdicts.frame["attempts_left"], strict=True
    ):
        codes, cap = reference_customer(person, *inputs(world), policy)
        assert (primary, reasons) == ((codes[0], "|".join(codes)) if codes else (None, None)), person
        assert left == (cap if cap is not None else UNCAPPED)


def reference_verdicts(world, policy) -> CustomerVerdicts:
    """Verdicts built by the reference, without the lake: the gate must not care how they were made."""
    rows = []
    for person in world["people"]:
        codes, cap = reference_customer(person, *inputs(world), policy)
        calls = [
            k["ts"] for k in world["contacts"] if k["customer_id"] == person["customer_id"] and k["channel"] == "call"
        ]
        row = {
            "customer_id": person["customer_id"],
            PHONE_KEY: phone_key(person["phone"]),
            "timezone": person.get("timezone") or "Asia/Shanghai",
            **{code: code in codes for code in CUSTOMER_CODES},
            "non_personalised": False,
            "attempts_left": UNCAPPED if cap is None else cap,
            "last_call_at": max(calls) if calls else pd.NaT,
        }
        r = policy.rules
        used = len(calls)  # an upper bound is enough here: the binding cap's name only labels the refusal
        row["campaign_attempts_left"] = max(r.campaign_attempts_cap.max - used, 0)
        row["frequency_left"] = max(r.frequency_cap.calls - used, 0)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["last_call_at"] = pd.to_datetime(frame["last_call_at"]).astype("datetime64[us]")
    primary, reasons = primary_and_reasons(frame)
    return CustomerVerdicts(frame=frame, primary=primary, reasons=reasons, policy=policy, start=START, end=END)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_the_gate_keeps_nothing_any_rule_forbids(policies, world):
    policy = policies[world["variant"]]
    verdicts = reference_verdicts(world, policy)
    calls = pd.DataFrame(world["calls"], columns=["customer_id", "call_at", "priority", "phone"])
    calls[PHONE_KEY] = [phone_key(p) for p in calls.pop("phone")]  # the gate knows phones by look-up hash
    calls["call_at"] = pd.to_datetime(calls["call_at"]).astype("datetime64[us]")
    history = None
    if world["pass_history"] and world["contacts"]:
        history = pd.DataFrame(world["contacts"])[["customer_id", "ts", "channel"]]
    result = gate(calls, verdicts, policy, history, BANK)

    kept = [dict(call, call_at=call["call_at"].to_pydatetime()) for call in result.kept.to_dict("records")]
    assert violations(kept, world, policy) == []
    assert len(result.kept) + len(result.refused) == len(calls)
    assert gate(result.kept, verdicts, policy, history, BANK).refused.empty  # what it keeps, it keeps again
    if not violations(world["calls"], world, policy):
        assert result.refused.empty  # a clean plan goes through untouched
    eligible = {p["customer_id"]: reference_customer(p, *inputs(world), policy) for p in world["people"]}
    caps = {"campaign_attempts_cap", "frequency_cap", "min_gap", "phone_daily_limit"}
    alone = {"unknown_customer", "phone_mismatch", "quiet_hours", "closed_days", *CUSTOMER_CODES} - caps
    for call in result.refused.to_dict("records"):
        if call["reason"] in alone:  # refused for what the call is, not for what else is planned
            assert violations([dict(call, call_at=call["call_at"].to_pydatetime())], world, policy, eligible), call
