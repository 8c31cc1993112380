"""Message channels: per-channel consent, unsubscribes, the cross-channel cap, quiet hours and send limits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwise.i18n import t
from callwise.policy import default_policy, load_policy
from callwise.policy.channel_rules import MESSAGE_CHANNELS
from callwise.policy.channels import (
    MESSAGE_CODES,
    TOUCH_CODES,
    message_eligibility,
    next_open_time,
    touch_refusal,
    touches_left,
)
from callwise.policy.config import PolicyError
from callwise.schema.contract import TABLES
from tests.policy.helpers import START, contact, customer

AT = datetime.combine(START, datetime.min.time()).replace(hour=10)


def consent(cid: str, channel: str, granted: bool, days_ago: int) -> dict:
    return {
        "customer_id": cid,
        "channel": channel,
        "purpose": "marketing",
        "granted": granted,
        "ts": AT - timedelta(days=days_ago),
    }


def with_consents(lake, rows):
    lake.write("consents", pa.Table.from_pylist(rows, schema=TABLES["consents"].arrow_schema(list(rows[0]))))
    return lake


def reasons(lake, policy=None, at=AT) -> dict[tuple[str, str], str | None]:
    frame = message_eligibility(lake, policy or default_policy(), at).to_pandas()
    return {(r.customer_id, r.channel): (r.reason if isinstance(r.reason, str) else None) for r in frame.itertuples()}


def test_each_channel_needs_its_own_consent_and_the_newest_row_wins(make_lake):
    lake = with_consents(
        make_lake([customer("C1"), customer("C2")]),
        [
            consent("C1", "sms", True, 100),
            consent("C1", "wechat", True, 100),
            consent("C1", "wechat", False, 10),  # withdrawn later
            consent("C1", "email", False, 100),
            consent("C1", "email", True, 5),  # granted again
        ],
    )
    got = reasons(lake)
    assert got[("C1", "sms")] is None and got[("C1", "email")] is None
    assert got[("C1", "wechat")] == "no_channel_consent"
    assert got[("C1", "app_push")] == "no_channel_consent"  # nothing on record is a refusal
    assert all(got[("C2", ch)] == "no_channel_consent" for ch in MESSAGE_CHANNELS)


def test_without_a_consents_table_no_message_channel_has_consent(make_lake):
    got = reasons(make_lake([customer("C1")]))
    assert {got[("C1", ch)] for ch in MESSAGE_CHANNELS} == {"no_channel_consent"}


def test_an_unsubscribe_bars_the_channel_until_consent_is_granted_again(make_lake):
    lake = make_lake(
        [customer("C1"), customer("C2")],
        [
            contact("C1", AT - timedelta(days=3), "unsubscribed", "sms"),
            contact("C2", AT - timedelta(days=30), "unsubscribed", "sms"),
        ],
    )
    with_consents(lake, [consent("C1", "sms", True, 100), consent("C2", "sms", True, 10)])
    got = reasons(lake)
    assert got[("C1", "sms")] == "channel_unsubscribed"
    assert got[("C2", "sms")] is None  # re-consented after the unsubscribe


def test_customer_floors_bar_every_channel_in_order(make_lake):
    people = [
        customer("C1", status="frozen"),
        customer("C2", birth_date=date(START.year - 17, 1, 1)),
        customer("C3", dnc=True),
        customer("C4", complaint_last_at=AT - timedelta(days=20)),
        customer("C5"),
    ]
    lake = make_lake(people, [contact("C5", AT - timedelta(days=400), "dnc_requested")])
    with_consents(lake, [consent(c["customer_id"], ch, True, 50) for c in people for ch in MESSAGE_CHANNELS])
    got = reasons(lake)
    expected = {"C1": "inactive_status", "C2": "under_18", "C3": "dnc", "C4": "recent_complaint", "C5": "dnc"}
    for cid, code in expected.items():
        assert {got[(cid, ch)] for ch in MESSAGE_CHANNELS} == {code}, cid


def test_dnc_for_calls_only_when_the_policy_says_so(make_lake, tmp_path):
    lake = with_consents(make_lake([customer("C1", dnc=True)]), [consent("C1", "sms", True, 50)])
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nversion: 1\nchannels:\n  dnc_bars_all: false\n", encoding="utf-8")
    assert reasons(lake)[("C1", "sms")] == "dnc"
    assert reasons(lake, load_policy(path))[("C1", "sms")] is None


def test_the_cross_channel_cap_counts_every_channel_and_not_failed_deliveries(make_lake):
    touches = [contact("C1", AT - timedelta(days=d), "delivered", "sms") for d in (1, 2, 3)]
    touches += [contact("C1", AT - timedelta(days=4, hours=h), "no_answer", "call") for h in (1, 5)]
    touches += [contact("C1", AT - timedelta(days=5), "opened", "app_push")]  # sixth touch
    touches += [contact("C2", AT - timedelta(days=d), "failed", "sms") for d in range(1, 8)]
    touches += [contact("C3", AT - timedelta(days=30, hours=h), "delivered", "sms") for h in range(1, 7)]  # outside
    lake = make_lake([customer("C1"), customer("C2"), customer("C3")], touches)
    with_consents(lake, [consent(c, "wechat", True, 50) for c in ("C1", "C2", "C3")])
    got = reasons(lake)
    assert got[("C1", "wechat")] == "cross_channel_cap"
    assert got[("C2", "wechat")] is None and got[("C3", "wechat")] is None
    left = dict(touches_left(lake, default_policy(), AT).to_pandas().itertuples(index=False))
    assert left["C1"] == 0 and "C2" not in left  # only customers touched lately are listed


def test_a_switched_off_channel_has_its_own_reason(make_lake, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nversion: 1\nchannels:\n  email: {enabled: false}\n", encoding="utf-8")
    lake = with_consents(make_lake([customer("C1")]), [consent("C1", "email", True, 5)])
    assert reasons(lake, load_policy(path))[("C1", "email")] == "channel_disabled"


def test_a_channel_written_without_quiet_hours_keeps_its_default_and_null_switches_them_off(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\nchannels:\n  sms: {daily_limit: 100}\n  wechat: {quiet_hours: null}\n", encoding="utf-8"
    )
    rules = load_policy(path).channels
    assert rules.sms.quiet_hours is not None and (rules.sms.quiet_hours.start, rules.sms.daily_limit) == ("21:00", 100)
    assert rules.wechat.quiet_hours is None
    assert default_policy().channels.sms == rules.sms.model_copy(update={"daily_limit": None})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("channels:\n  sms: {quiet_hours: {start: '25:00', end: '08:00'}}\n", "25:00"),
        ("channels:\n  sms: {daily_limit: 0}\n", "daily_limit"),
        ("channels:\n  fax: {}\n", "fax"),
        ("channels:\n  cross_channel_cap: {touches: -1}\n", "touches"),
    ],
)
def test_a_bad_channels_section_is_refused_with_its_line(tmp_path, text, needle):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nversion: 1\n" + text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert f"{path}:" in str(err.value) and needle in str(err.value)


def test_touch_refusal_quiet_hours_limits_and_cap():
    p = default_policy()
    night = datetime(2026, 7, 1, 21, 30)
    assert touch_refusal(p, "sms", night, 0) == "channel_quiet_hours"
    assert touch_refusal(p, "email", night, 0) is None
    assert touch_refusal(p, "call", night, 0) == "quiet_hours"
    assert touch_refusal(p, "sms", datetime(2026, 7, 1, 8, 0), 5) is None
    assert touch_refusal(p, "sms", datetime(2026, 7, 1, 8, 0), 6) == "cross_channel_cap"
    limited = p.model_copy(
        update={
            "channels": p.channels.model_copy(update={"sms": p.channels.sms.model_copy(update={"daily_limit": 10})})
        }
    )
    assert touch_refusal(limited, "sms", datetime(2026, 7, 1, 12), 0, sent_today=10) == "channel_daily_limit"
    assert touch_refusal(limited, "sms", datetime(2026, 7, 1, 12), 0, sent_today=9) is None


def test_next_open_time_waits_for_the_end_of_the_quiet_window():
    p = default_policy()
    assert next_open_time(p, "sms", datetime(2026, 7, 1, 21, 30)) == datetime(2026, 7, 2, 8, 0)
    assert next_open_time(p, "sms", datetime(2026, 7, 2, 7, 59)) == datetime(2026, 7, 2, 8, 0)
    assert next_open_time(p, "sms", datetime(2026, 7, 2, 12, 0)) == datetime(2026, 7, 2, 12, 0)
    assert next_open_time(p, "call", datetime(2026, 7, 2, 8, 30)) == datetime(2026, 7, 2, 9, 0)
    assert next_open_time(p, "email", datetime(2026, 7, 2, 3, 0)) == datetime(2026, 7, 2, 3, 0)


@settings(max_examples=200, deadline=None)
@given(
    channel=st.sampled_from(("call", *MESSAGE_CHANNELS)),
    minute=st.integers(0, 24 * 60 - 1),
    touches=st.integers(0, 20),
)
def test_a_touch_the_policy_allows_is_never_in_quiet_hours_or_over_the_cap(channel, minute, touches):
    p = default_policy()
    at = datetime(2026, 7, 1) + timedelta(minutes=minute)
    refusal = touch_refusal(p, channel, at, touches)
    if refusal is None:
        assert touches < p.channels.cross_channel_cap.touches
        opens = next_open_time(p, channel, at)
        assert opens == at
    else:
        assert refusal in TOUCH_CODES
        later = next_open_time(p, channel, at)
        assert later >= at and (refusal == "cross_channel_cap" or touch_refusal(p, channel, later, 0) is None)


def test_every_reason_code_has_words_in_both_languages():
    for code in {*MESSAGE_CODES, *TOUCH_CODES}:
        for lang in ("zh", "en"):
            assert t(f"exclusion.{code}", lang) != f"exclusion.{code}", (code, lang)
