"""Customer rules, each at its boundary, asserting the reason code; primary = first rule in funnel order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from callwise.i18n import t
from callwise.lake import Lake
from callwise.policy import (
    CUSTOMER_CODES,
    CUSTOMER_RULES,
    GATE_CODES,
    UNCAPPED,
    default_policy,
    evaluate_customers,
    load_policy,
)
from tests.policy.helpers import DEPOSIT, PRODUCT, START, contact, customer


def days_ago(n: int, hour: int = 15) -> datetime:
    return datetime.combine(START - timedelta(days=n), datetime.min.time()).replace(hour=hour)


def verdict(lake: Lake, product=PRODUCT, policy=None, campaign="CMP", end=None):
    v = evaluate_customers(lake, policy or default_policy(), product, campaign, START, end)
    return v, dict(zip(v.frame["customer_id"], v.primary, strict=True))


CASES = [
    # (id, customer overrides, contacts of C1, product, expected primary)
    ("eligible", {}, [], PRODUCT, None),
    ("frozen", {"status": "frozen"}, [], PRODUCT, "inactive_status"),
    ("deceased", {"status": "deceased"}, [], PRODUCT, "inactive_status"),
    ("dnc flag", {"dnc": True}, [], PRODUCT, "dnc"),
    ("dnc asked on an old sms", {}, [("2020-01-05 10:00", "dnc_requested", "sms")], PRODUCT, "dnc"),
    ("no consent", {"consent_marketing": False}, [], PRODUCT, "no_consent"),
    ("consent empty = refusal", {"consent_marketing": None}, [], PRODUCT, "no_consent"),
    ("refused 179 days ago", {}, [(179, "refused", "call")], PRODUCT, "refusal_cooldown"),
    ("refused 180 days ago", {}, [(180, "refused", "call")], PRODUCT, None),
    ("refused 181 days ago", {}, [(181, "refused", "call")], PRODUCT, None),
    ("refusal by sms is not a call", {}, [(10, "refused", "sms")], PRODUCT, None),
    ("complaint on record 179 days ago", {"complaint_last_at": days_ago(179)}, [], PRODUCT, "recent_complaint"),
    ("complaint on record 181 days ago", {"complaint_last_at": days_ago(181)}, [], PRODUCT, None),
    ("complaint on a contact 179 days ago", {}, [(179, "complaint", "call")], PRODUCT, "recent_complaint"),
    ("complaint on a contact 181 days ago", {}, [(181, "complaint", "call")], PRODUCT, None),
    ("age unknown", {"birth_date": None}, [], PRODUCT, "age_unknown"),
    ("17, birthday tomorrow", {"birth_date": date(2008, 7, 2)}, [], PRODUCT, "under_18"),
    ("18 today", {"birth_date": date(2008, 7, 1)}, [], PRODUCT, None),
    ("71 today, product max 70", {"birth_date": date(1955, 7, 1)}, [], PRODUCT, "product_age_limit"),
    ("70, product max 70", {"birth_date": date(1955, 7, 2)}, [], PRODUCT, None),
    ("C2 customer, R2 product", {"risk_tolerance": "C2"}, [], PRODUCT, None),
    ("C2 customer, R3 product", {"risk_tolerance": "C2"}, [], {**PRODUCT, "risk_level": "R3"}, "unsuitable_risk"),
    ("no tolerance, R1 product", {"risk_tolerance": None}, [], {**PRODUCT, "risk_level": "R1"}, "unsuitable_risk"),
    ("no tolerance, deposit", {"risk_tolerance": None, "risk_assessed_at": None}, [], DEPOSIT, None),
    ("assessment expired yesterday", {"risk_assessed_at": date(2025, 6, 30)}, [], PRODUCT, "risk_assessment_expired"),
    ("assessment expires today", {"risk_assessed_at": date(2025, 7, 1)}, [], PRODUCT, "risk_assessment_expired"),
    ("assessment valid today", {"risk_assessed_at": date(2025, 7, 2)}, [], PRODUCT, None),
    ("no assessment date", {"risk_assessed_at": None}, [], PRODUCT, "risk_assessment_expired"),
    ("profiling opt-out", {"profiling_opt_out": True}, [], PRODUCT, "profiling_opt_out"),
    ("three attempts in this campaign", {}, [(d, "no_answer", "call", "CMP") for d in (40, 50, 60)], PRODUCT,
     "campaign_attempts_cap"),
    ("two attempts in this campaign", {}, [(d, "no_answer", "call", "CMP") for d in (40, 50)], PRODUCT, None),
    ("three attempts in another", {}, [(d, "no_answer", "call", "OTHER") for d in (40, 50, 60)], PRODUCT, None),
    ("fifth call in 30 days", {}, [(d, "no_answer", "call") for d in (1, 5, 20, 29)], PRODUCT, "frequency_cap"),
    ("oldest call 30 days ago", {}, [(d, "no_answer", "call") for d in (1, 5, 20, 30)], PRODUCT, None),
    ("sms do not count", {}, [(d, "no_answer", "sms") for d in (1, 5, 20, 29)], PRODUCT, None),
]  # fmt: skip


def _contacts(specs) -> list[dict]:
    rows = []
    for spec in specs:
        when, disposition, channel, *campaign = spec
        ts = datetime.fromisoformat(when) if isinstance(when, str) else days_ago(when)
        rows.append(contact("C1", ts, disposition, channel, *(campaign or ["OLD"])))
    return rows


@pytest.mark.parametrize(
    ("overrides", "contacts", "product", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_customer_rule_at_its_boundary(make_lake, overrides, contacts, product, expected):
    lake = make_lake([customer("C1", **overrides), customer("C2")], _contacts(contacts))
    _, primary = verdict(lake, product)
    assert primary["C1"] == expected
    assert primary["C2"] is None  # the neighbour is untouched


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"birth_date": date(1955, 7, 5)}, "product_age_limit"),  # turns 71 on day 5 of the plan
        ({"birth_date": date(1955, 7, 11)}, None),  # still 70 on the last day
        ({"risk_assessed_at": date(2025, 7, 3)}, "risk_assessment_expired"),  # expires on day 3
        ({"risk_assessed_at": date(2025, 7, 11)}, None),  # valid through the last day
        ({"birth_date": date(2008, 7, 5)}, "under_18"),  # barred on the first day: out of the whole plan
        ({"holding_closed": START + timedelta(days=2)}, "holds_product"),  # still held on the first days
        ({"holding_closed": START}, None),
    ],
)
def test_a_customer_barred_on_any_day_of_the_plan_is_left_out(make_lake, overrides, expected):
    closed = overrides.pop("holding_closed", None)
    holdings = [{"customer_id": "C1", "product_id": "W1", "opened_at": date(2025, 1, 1), "closed_at": closed}]
    lake = make_lake([customer("C1", **overrides)], holdings=holdings if closed else ())
    _, primary = verdict(lake, end=date(2026, 7, 10))
    assert primary["C1"] == expected


@pytest.mark.parametrize(
    ("assessed", "expected"), [(date(2024, 2, 29), "risk_assessment_expired"), (date(2024, 3, 1), None)]
)
def test_an_assessment_on_29_february_ends_on_28_february(make_lake, assessed, expected):
    lake = make_lake([customer("C1", risk_assessed_at=assessed)])
    v = evaluate_customers(lake, default_policy(), PRODUCT, "CMP", date(2025, 2, 28))
    assert v.primary.iloc[0] == expected


def test_profiling_opt_out_non_personalised_mode_keeps_the_customer_but_flags_them(make_lake, tmp_path):
    lake = make_lake([customer("C1", profiling_opt_out=True), customer("C2")])
    path = tmp_path / "p.yaml"
    path.write_text("name: np\nversion: 1\nrules:\n  profiling_opt_out:\n    mode: non_personalised\n")
    v, primary = verdict(lake, policy=load_policy(path))
    assert primary == {"C1": None, "C2": None}
    assert v.frame.set_index("customer_id")["non_personalised"].to_dict() == {"C1": True, "C2": False}
    _, excluded = verdict(lake)  # default mode: excluded
    assert excluded["C1"] == "profiling_opt_out"


@pytest.mark.parametrize(
    ("holding", "expected"),
    [
        ({"opened_at": date(2025, 1, 1), "closed_at": None}, "holds_product"),
        ({"opened_at": START, "closed_at": None}, "holds_product"),  # opened on the first day
        ({"opened_at": date(2025, 1, 1), "closed_at": date(2026, 6, 30)}, None),  # closed before the plan
        ({"opened_at": date(2025, 1, 1), "closed_at": START + timedelta(days=1)}, "holds_product"),
    ],
)
def test_holds_product(make_lake, holding, expected):
    lake = make_lake([customer("C1")], holdings=[{"customer_id": "C1", "product_id": "W1", **holding}])
    _, primary = verdict(lake)
    assert primary["C1"] == expected


def test_attempts_left_is_the_tighter_cap_and_last_call_is_kept(make_lake):
    calls = [contact("C1", days_ago(d), campaign="CMP") for d in (3, 10)] + [contact("C1", days_ago(2, 10))]
    calls += [contact("C2", days_ago(d)) for d in (1, 2, 3)]
    lake = make_lake([customer("C1"), customer("C2"), customer("C3")], calls)
    v, _ = verdict(lake)
    f = v.frame.set_index("customer_id")
    assert f.loc["C1", "campaign_attempts_left"] == 1 and f.loc["C1", "frequency_left"] == 1
    assert f.loc["C1", "attempts_left"] == 1
    assert f.loc["C2", "attempts_left"] == 1  # 4 per 30 days, 3 used; campaign cap would allow 3
    assert f.loc["C3", "attempts_left"] == 3
    assert f.loc["C1", "last_call_at"] == pd.Timestamp(days_ago(2, 10))
    assert pd.isna(f.loc["C3", "last_call_at"])


def test_switched_off_caps_leave_attempts_uncapped(make_lake, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: x\nversion: 1\nrules:\n  campaign_attempts_cap: {enabled: false}\n  frequency_cap: {enabled: false}\n"
    )
    lake = make_lake([customer("C1")], [contact("C1", days_ago(d), campaign="CMP") for d in (1, 2, 3, 4, 5)])
    v, primary = verdict(lake, policy=load_policy(path))
    assert primary["C1"] is None and v.frame.loc[0, "attempts_left"] == UNCAPPED


def test_primary_is_the_first_rule_and_every_reason_is_kept(make_lake):
    lake = make_lake(
        [customer("C1", dnc=True, consent_marketing=False, birth_date=date(2010, 1, 1), risk_tolerance="C1")]
    )
    v, primary = verdict(lake)
    assert primary["C1"] == "dnc"
    assert v.reasons.iloc[0] == "dnc|no_consent|under_18|product_age_limit|unsuitable_risk"


def test_funnel_is_in_rule_order_adds_up_and_skips_switched_off_rules(make_lake, tmp_path):
    people = [
        customer("C1", status="frozen"),
        customer("C2", dnc=True),
        customer("C3", consent_marketing=False),
        customer("C4", birth_date=None),
        customer("C5"),
    ]
    lake = make_lake(people)
    v, _ = verdict(lake)
    funnel = v.funnel()
    assert [s["step"] for s in funnel] == ["customers", *CUSTOMER_CODES]
    assert funnel[0] == {"step": "customers", "removed": 0, "remaining": 5}
    assert {s["step"]: s["removed"] for s in funnel if s["removed"]} == {
        "inactive_status": 1,
        "dnc": 1,
        "no_consent": 1,
        "age_unknown": 1,
    }
    assert funnel[-1]["remaining"] == len(v.eligible) == 1
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nversion: 1\nrules:\n  age_unknown: {enabled: false}\n")
    v2, primary = verdict(lake, policy=load_policy(path))
    assert "age_unknown" not in [s["step"] for s in v2.funnel()]
    assert not v2.frame["age_unknown"].any()
    assert primary["C4"] is None


def test_frame_columns_and_timezone_default(make_lake):
    people = [customer("C2", timezone=""), customer("C1", timezone=None), customer("C3", timezone="Asia/Urumqi")]
    lake = make_lake(people)
    v, _ = verdict(lake)
    assert list(v.frame.columns[:4]) == ["customer_id", "phone_lookup", "phone_masked", "timezone"]
    assert set(CUSTOMER_CODES) | {"non_personalised", "attempts_left", "last_call_at"} <= set(v.frame.columns)
    assert list(v.frame["customer_id"]) == ["C1", "C2", "C3"]
    assert list(v.frame["timezone"]) == ["Asia/Shanghai", "Asia/Shanghai", "Asia/Urumqi"]
    assert v.frame[list(CUSTOMER_CODES)].dtypes.eq(bool).all()


def test_missing_optional_columns_are_conservative(make_lake):
    lake = make_lake([{"customer_id": "C1", "phone": "13800000001", "consent_marketing": True}])
    v, primary = verdict(lake)
    assert primary["C1"] == "age_unknown"
    assert v.reasons.iloc[0] == "age_unknown|unsuitable_risk|risk_assessment_expired"
    _, deposit = verdict(lake, product=DEPOSIT)
    assert deposit["C1"] == "age_unknown"  # suitability does not apply to a deposit


def test_the_plan_cannot_end_before_it_starts(make_lake):
    with pytest.raises(ValueError, match="ends"):
        verdict(make_lake([customer("C1")]), end=START - timedelta(days=1))


def test_every_reason_code_has_labels_in_both_languages():
    assert len(CUSTOMER_CODES) == len(CUSTOMER_RULES)
    for code in (*CUSTOMER_CODES, *GATE_CODES):
        zh, en = t(f"exclusion.{code}", "zh"), t(f"exclusion.{code}", "en")
        assert zh and en and zh != en
