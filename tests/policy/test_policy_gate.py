"""The gate re-checks planned calls: eligibility, local time, caps, gaps and shared phone numbers."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from callwise.policy import PolicyViolation, assert_clean, default_policy, evaluate_customers, gate, load_policy
from callwise.schema.contract import PHONE_KEY
from tests.policy.helpers import PRODUCT, START, contact, customer, phone_key


def plan(*calls) -> pd.DataFrame:
    """Planned calls as (customer_id, bank-clock time[, priority])."""
    rows = [
        {"customer_id": c[0], "call_at": pd.Timestamp(c[1]), "priority": c[2] if len(c) > 2 else 0.0} for c in calls
    ]
    frame = pd.DataFrame(rows)
    frame["attempt"] = frame.groupby("customer_id").cumcount() + 1
    return frame


def same_day_attempts(tmp_path):
    """A policy that allows three calls a day to one number, so attempts on one day are possible at all."""
    path = tmp_path / "same-day.yaml"
    path.write_text("name: same-day\nversion: 1\nrules:\n  phone_daily_limit:\n    max: 3\n")
    return load_policy(path)


def verdicts_for(make_lake, people, contacts=(), policy=None, end=None):
    policy = policy or default_policy()
    return evaluate_customers(make_lake(people, contacts), policy, PRODUCT, "CMP", START, end), policy


def with_phones(calls: pd.DataFrame, verdicts) -> pd.DataFrame:
    phones = verdicts.frame.set_index("customer_id")[PHONE_KEY]
    other = phone_key("13900000000")
    return calls.assign(
        **{PHONE_KEY: [p if isinstance(p, bytes) else other for p in phones.reindex(calls["customer_id"])]}
    )


def reasons(result) -> dict:
    """Refused calls as {(customer_id, 'HH:MM' or 'MM-DD HH:MM'): reason}."""
    return {(row.customer_id, row.call_at.strftime("%m-%d %H:%M")): row.reason for row in result.refused.itertuples()}


def test_calls_to_excluded_or_unknown_customers_are_refused_with_the_customer_reason(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2", dnc=True), customer("C3", status="frozen")])
    calls = plan(("C1", "2026-07-01 10:00"), ("C2", "2026-07-01 10:00"), ("C3", "2026-07-01 11:00"))
    calls = pd.concat([calls, plan(("C9", "2026-07-01 12:00"))], ignore_index=True)
    result = gate(calls, v, policy)
    assert list(result.kept["customer_id"]) == ["C1"]
    assert reasons(result) == {
        ("C2", "07-01 10:00"): "dnc",
        ("C3", "07-01 11:00"): "inactive_status",
        ("C9", "07-01 12:00"): "unknown_customer",
    }


@pytest.mark.parametrize(
    ("zone", "slot", "kept"),
    [
        ("Asia/Shanghai", "2026-07-01 20:00", True),
        ("Asia/Shanghai", "2026-07-01 21:00", False),
        ("Asia/Shanghai", "2026-07-01 08:00", False),
        ("Asia/Shanghai", "2026-07-01 09:00", True),
        ("Asia/Urumqi", "2026-07-01 21:00", True),
        ("Asia/Urumqi", "2026-07-01 10:00", False),
    ],
)
def test_quiet_hours_on_the_customer_clock(make_lake, zone, slot, kept):
    v, policy = verdicts_for(make_lake, [customer("C1", timezone=zone)])
    result = gate(plan(("C1", slot)), v, policy)
    assert len(result.kept) == int(kept)
    if not kept:
        assert result.refused["reason"].tolist() == ["quiet_hours"]


def test_closed_days(make_lake, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nversion: 1\nrules:\n  closed_days:\n    dates: ['2026-07-02']\n    weekdays: [sun]\n")
    v, policy = verdicts_for(make_lake, [customer("C1")], policy=load_policy(path), end=START)
    calls = plan(("C1", "2026-07-01 10:00"), ("C1", "2026-07-02 10:00"), ("C1", "2026-07-05 10:00"))
    result = gate(calls, v, policy)
    assert reasons(result) == {("C1", "07-02 10:00"): "closed_days", ("C1", "07-05 10:00"): "closed_days"}


def test_two_customers_sharing_one_phone_get_one_call_that_day(make_lake):
    people = [customer("C1", phone="13800001111"), customer("C2", phone="13800001111"), customer("C3")]
    v, policy = verdicts_for(make_lake, people)
    calls = plan(
        ("C1", "2026-07-01 10:00", 2.0),
        ("C2", "2026-07-01 15:00", 1.0),  # higher priority, later in the day
        ("C3", "2026-07-01 10:00", 3.0),
        ("C1", "2026-07-02 10:00", 2.0),  # next day: the number may be called again
    )
    result = gate(with_phones(calls, v), v, policy)
    assert reasons(result) == {("C1", "07-01 10:00"): "phone_daily_limit"}
    assert len(result.kept) == 3


def test_a_shared_number_is_counted_on_its_local_day_not_the_bank_day(make_lake):
    # New York is 12 hours behind Beijing in July: 09:00 and 14:00 there are one local day, two bank days
    people = [customer("C1"), customer("C2", phone="13800002222", timezone="America/New_York")]
    people.append(customer("C3", phone="13800002222", timezone="America/New_York"))
    v, policy = verdicts_for(make_lake, people)
    calls = plan(("C2", "2026-07-01 21:00", 1.0), ("C3", "2026-07-02 02:00", 2.0), ("C1", "2026-07-01 10:00"))
    assert reasons(gate(calls, v, policy)) == {("C3", "07-02 02:00"): "phone_daily_limit"}


def test_the_phone_limit_counts_calls_already_made_that_day(make_lake):
    people = [customer("C1", phone="13800001111"), customer("C2", phone="13800001111")]
    v, policy = verdicts_for(make_lake, people, [contact("C1", datetime(2026, 7, 1, 9, 5))])
    result = gate(plan(("C2", "2026-07-01 15:00")), v, policy)
    assert result.refused["reason"].tolist() == ["phone_daily_limit"]


def test_a_planned_number_not_on_record_is_refused(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1")])
    calls = plan(("C1", "2026-07-01 10:00")).assign(**{PHONE_KEY: phone_key("13999999999")})
    assert gate(calls, v, policy).refused["reason"].tolist() == ["phone_mismatch"]


def test_fifth_call_in_30_days_from_the_lake_history(make_lake):
    history = [contact("C1", datetime(2026, 6, d, 10)) for d in (2, 10, 20)] + [
        contact("C2", datetime(2026, 6, d, 10)) for d in (1, 10, 20)
    ]
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2")], history, end=datetime(2026, 7, 3).date())
    calls = plan(
        ("C1", "2026-07-01 10:00"),  # 4th call in 30 days
        ("C1", "2026-07-03 10:00"),  # 5th
        ("C2", "2026-07-01 10:00"),  # 2026-06-01 is 30 days before: C2 has two calls left
        ("C2", "2026-07-02 10:00"),
    )
    result = gate(calls, v, policy)
    assert reasons(result) == {("C1", "07-03 10:00"): "frequency_cap"}


def test_rolling_frequency_counts_history_the_verdicts_did_not_see(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2")])  # the lake has no contacts
    history = pd.DataFrame(
        {
            "customer_id": ["C1"] * 4 + ["C2"] * 4,
            "ts": pd.to_datetime(
                ["2026-06-02 10:00", "2026-06-10 10:00", "2026-06-20 10:00", "2026-06-28 10:00"] * 2
            ).as_unit("us"),
            "channel": ["call"] * 4 + ["call"] * 3 + ["sms"],
        }
    )
    result = gate(plan(("C1", "2026-07-01 10:00"), ("C2", "2026-07-01 10:00")), v, policy, history)
    assert reasons(result) == {("C1", "07-01 10:00"): "frequency_cap"}  # C2's fourth contact was an sms


def test_attempts_per_campaign(make_lake, tmp_path):
    history = [contact("C1", datetime(2026, 6, 20, 10), campaign="CMP")]
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2")], history, same_day_attempts(tmp_path))
    calls = plan(
        ("C1", "2026-07-01 09:00"),
        ("C1", "2026-07-01 14:00"),
        ("C1", "2026-07-02 09:00"),  # third attempt in the campaign: its cap
        ("C2", "2026-07-01 09:00"),
        ("C2", "2026-07-01 14:00"),
        ("C2", "2026-07-01 19:00"),
        ("C2", "2026-07-02 09:00"),  # fourth
    )
    result = gate(calls, v, policy)
    assert reasons(result) == {
        ("C1", "07-02 09:00"): "campaign_attempts_cap",
        ("C2", "07-02 09:00"): "campaign_attempts_cap",
    }


@pytest.mark.parametrize(("second", "kept"), [("2026-07-01 12:59", False), ("2026-07-01 13:00", True)])
def test_min_gap_between_planned_attempts(make_lake, tmp_path, second, kept):
    v, policy = verdicts_for(make_lake, [customer("C1")], policy=same_day_attempts(tmp_path))
    result = gate(plan(("C1", "2026-07-01 09:00"), ("C1", second)), v, policy, slot_minutes=1)
    assert len(result.kept) == 1 + kept
    assert result.refused["reason"].tolist() == ([] if kept else ["min_gap"])


@pytest.mark.parametrize(("planned", "kept"), [("2026-07-01 13:29", False), ("2026-07-01 13:30", True)])
def test_min_gap_from_the_last_call_on_record(make_lake, tmp_path, planned, kept):
    contacts = [contact("C1", datetime(2026, 7, 1, 9, 30))]
    v, policy = verdicts_for(make_lake, [customer("C1")], contacts, same_day_attempts(tmp_path))
    result = gate(plan(("C1", planned)), v, policy, slot_minutes=1)
    assert len(result.kept) == int(kept)


@pytest.mark.parametrize(("planned", "kept"), [("2026-07-01 09:01", False), ("2026-07-01 09:00", True)])
def test_min_gap_also_before_a_call_on_record(make_lake, tmp_path, planned, kept):
    # re-planning a day whose afternoon call is already on record: nothing may be put just before it
    contacts = [contact("C1", datetime(2026, 7, 1, 13, 0))]
    v, policy = verdicts_for(make_lake, [customer("C1")], contacts, same_day_attempts(tmp_path))
    result = gate(plan(("C1", planned)), v, policy, slot_minutes=1)
    assert result.refused["reason"].tolist() == ([] if kept else ["min_gap"])


def test_min_gap_keeps_the_earliest_and_frees_later_calls(make_lake, tmp_path):
    v, policy = verdicts_for(make_lake, [customer("C1")], policy=same_day_attempts(tmp_path))
    calls = plan(("C1", "2026-07-01 09:00"), ("C1", "2026-07-01 11:00"), ("C1", "2026-07-01 13:00"))
    result = gate(calls, v, policy)
    assert reasons(result) == {("C1", "07-01 11:00"): "min_gap"}  # 13:00 is 4 h after 09:00, the kept one


def test_by_default_one_number_is_called_once_a_day_so_attempts_go_to_other_days(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1")])
    calls = plan(("C1", "2026-07-01 09:00"), ("C1", "2026-07-01 15:00"), ("C1", "2026-07-02 09:00"))
    assert reasons(gate(calls, v, policy)) == {("C1", "07-01 15:00"): "phone_daily_limit"}


def test_kept_and_refused_partition_the_plan_in_order(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2", consent_marketing=False)])
    calls = plan(("C2", "2026-07-01 10:00"), ("C1", "2026-07-01 22:00"), ("C1", "2026-07-01 10:00"))
    result = gate(calls, v, policy)
    assert sorted([*result.kept.index, *result.refused.index]) == list(calls.index)
    assert list(result.kept.columns) == list(calls.columns)
    assert result.counts() == {"no_consent": 1, "quiet_hours": 1}


def test_assert_clean(make_lake):
    v, policy = verdicts_for(make_lake, [customer("C1"), customer("C2", dnc=True)])
    calls = plan(("C1", "2026-07-01 10:00"), ("C2", "2026-07-01 10:00"), ("C1", "2026-07-01 11:00"))
    with pytest.raises(PolicyViolation, match=r"2 of 3 planned calls break the policy: dnc ×1, min_gap ×1"):
        assert_clean(calls, v, policy)
    assert_clean(gate(calls, v, policy).kept, v, policy)


def test_a_policy_violation_is_a_runtime_error_not_a_failed_assertion(make_lake):
    """Test runners and ``except AssertionError`` treat an AssertionError as a broken check, not a refused plan."""
    v, policy = verdicts_for(make_lake, [customer("C1", dnc=True)])
    calls = plan(("C1", "2026-07-01 10:00"))
    with pytest.raises(RuntimeError) as caught:
        assert_clean(calls, v, policy)
    assert type(caught.value) is PolicyViolation
    assert not isinstance(caught.value, AssertionError)


def test_the_gate_refuses_verdicts_made_under_another_policy_and_incomplete_plans(make_lake, tmp_path):
    v, _ = verdicts_for(make_lake, [customer("C1")])
    path = tmp_path / "p.yaml"
    path.write_text("name: other\nversion: 2\n")
    with pytest.raises(ValueError, match="different policy"):
        gate(plan(("C1", "2026-07-01 10:00")), v, load_policy(path))
    with pytest.raises(ValueError, match="call_at"):
        gate(pd.DataFrame({"customer_id": ["C1"]}), v, default_policy())
