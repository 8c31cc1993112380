"""The moment boost per moment id, on a hand-made history whose boosts are known: liveness is judged at each
member's touch, a touch with two live moments counts for the larger, and a moment that starts after the touch is
not used."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from callwise.channels import effects as fx
from callwise.channels.effects import estimate_effects, member_outcomes, moment_ids
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from tests.tags.helpers import write_lake

START = datetime(2026, 3, 2, 9)
CUTOFF = datetime(2026, 7, 1)
PER_GROUP = 2000  # treatment members per story; half as many in the control group
# story → (salary live, transfer out live, conversion rate when touched); the control group converts at 10%
# whatever is live, a touch with nothing live adds 0.10, salary_arrived × 1.5, competitor_transfer_out × 3.
STORIES = {
    "none": (False, False, 0.20),
    "salary": (True, False, 0.25),
    "transfer": (False, True, 0.40),
    "both": (True, True, 0.40),  # the largest boost holds
    "after_touch": (False, False, 0.20),  # salary and transfer an hour after the touch: not live at it
}


def _lake(root) -> Lake:
    rows = _history()
    loose = {name: rows.pop(name) for name in ("campaigns", "campaign_members")}  # written as they are
    lake = write_lake(root, rows)
    for name, table_rows in loose.items():
        lake.write(name, pa.Table.from_pylist(table_rows))
    return lake


def _history() -> dict[str, list[dict]]:
    people, members, contacts, won, tx = [], [], [], [], []
    i = 0
    for story, (salary, transfer, rate) in STORIES.items():
        for group, count in (("treatment", PER_GROUP), ("control", PER_GROUP // 2)):
            for j in range(count):
                cid = f"C{i:06d}"
                i += 1
                people.append({"customer_id": cid, "income_monthly": 10000.0, "consent_marketing": True})
                members.append({"campaign_id": "K1", "customer_id": cid, "assigned_at": START, "group": group})
                # touches on days 0–6 alike; the untouched are judged at the mean touch time (day 3, 10:00)
                at = START + timedelta(days=j % 7, hours=1) if group == "treatment" else START + timedelta(3, 3600)
                if group == "treatment":
                    contacts.append(
                        {
                            "contact_id": f"T{cid}",
                            "campaign_id": "K1",
                            "customer_id": cid,
                            "channel": "call",
                            "ts": at,
                            "disposition": "answered",
                        }
                    )
                if salary:
                    tx.append(
                        {
                            "transaction_id": f"S{cid}",
                            "customer_id": cid,
                            "ts": at - timedelta(days=4),
                            "amount": 10000.0,
                            "direction": "in",
                            "category": "工资",
                        }
                    )
                if transfer:
                    tx.append(
                        {
                            "transaction_id": f"O{cid}",
                            "customer_id": cid,
                            "ts": at - timedelta(days=4),
                            "amount": 20000.0,
                            "direction": "out",
                            "category": "他行转出",
                        }
                    )
                if story == "after_touch":  # the customers a moment came to, with none live at the touch
                    for kind, direction, category in (("S", "in", "工资"), ("O", "out", "他行转出")):
                        tx.append(
                            {
                                "transaction_id": f"{kind}{cid}",
                                "customer_id": cid,
                                "ts": at + timedelta(hours=1),
                                "amount": 20000.0 if kind == "O" else 10000.0,
                                "direction": direction,
                                "category": category,
                            }
                        )
                converts = (j % 20) < round(20 * (rate if group == "treatment" else 0.10))
                if converts:
                    won.append(
                        {
                            "conversion_id": f"W{cid}",
                            "customer_id": cid,
                            "product_id": "P1",
                            "ts": at + timedelta(days=1),
                        }
                    )
    campaign = {
        "campaign_id": "K1",
        "name": "k1",
        "product_id": "P1",
        "start_at": START,
        "end_at": START + timedelta(days=7),
    }
    return {
        "customers": people,
        "campaigns": [campaign],
        "campaign_members": members,
        "contacts": contacts,
        "conversions": won,
        "transactions": tx,
    }


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Lake:
    from callwise.moments import build_moments, default_triggers

    lake = _lake(tmp_path_factory.mktemp("moment_boosts") / "lake")
    build_moments(lake, default_triggers(), CUTOFF)  # the plan's own table: the history builds its own
    return lake


def _bit(moment: str) -> int:
    return 1 << moment_ids().index(moment)


def test_liveness_is_judged_at_the_touch_and_a_moment_after_it_is_not_used(history):
    rows = to_pandas(member_outcomes(history, CUTOFF))
    touched = rows[rows["touched"].astype(bool)].groupby("moments")["members"].sum()
    salary, transfer = _bit("salary_arrived"), _bit("competitor_transfer_out")
    # none + the moments after the touch (not live at it), salary, transfer, both
    assert touched.to_dict() == {0: 2 * PER_GROUP, salary: PER_GROUP, transfer: PER_GROUP, salary | transfer: PER_GROUP}
    untouched = rows[~rows["touched"].astype(bool)].groupby("moments")["members"].sum()
    assert untouched.to_dict() == {
        0: PER_GROUP,
        salary: PER_GROUP // 2,
        transfer: PER_GROUP // 2,
        salary | transfer: PER_GROUP // 2,
    }


def test_each_moments_boost_is_recovered_and_shrunk_to_the_pooled_one(history, monkeypatch):
    effects = estimate_effects(history, CUTOFF, ("call",))
    # raw: salary 0.15 / 0.10, transfer (with "both") 0.30 / 0.10, each against the customers the moment came to
    # after the touch; pooled over the live: 0.25 / 0.10
    n_live, n_salary, n_transfer = 3 * PER_GROUP, PER_GROUP, 2 * PER_GROUP
    w = n_live / (n_live + fx.SHRINK_MEMBERS)
    pooled = w * 2.5 + (1 - w)
    assert effects.moment_boost == pytest.approx(pooled, abs=0.01)
    for moment, raw, n in (("salary_arrived", 1.5, n_salary), ("competitor_transfer_out", 3.0, n_transfer)):
        w = n / (n + fx.SHRINK_MEMBERS)
        assert effects.moment_boosts[moment] == pytest.approx(w * raw + (1 - w) * pooled, abs=0.01)
        assert effects.moment_touched_by[moment] == n
    # A moment with no touch falls back to the pooled boost.
    assert effects.boost_of("birthday") == pytest.approx(effects.moment_boost)
    assert effects.boost_of("no_such_moment") == pytest.approx(effects.moment_boost)
    monkeypatch.setattr(fx, "SHRINK_MEMBERS", 1)  # nearly no shrinking: the planted boosts themselves
    raw = estimate_effects(history, CUTOFF, ("call",))
    assert raw.moment_boosts["salary_arrived"] == pytest.approx(1.5, abs=0.01)
    assert raw.moment_boosts["competitor_transfer_out"] == pytest.approx(3.0, abs=0.01)


def test_without_a_moments_table_the_boost_is_one(tmp_path):
    lake = _lake(tmp_path / "lake")
    effects = estimate_effects(lake, CUTOFF, ("call",))
    assert effects.moment_boost == 1.0 and effects.moment_boosts == {} and not effects.moments


def test_a_customer_is_valued_by_the_largest_boost_of_their_live_moments():
    from callwise.channels.effects import ChannelEffect, ChannelEffects
    from callwise.channels.strata import STRATA
    from callwise.channels.values import channel_values

    effects = ChannelEffects(
        {
            "call": ChannelEffect(
                "call", 0.02, 0.0, 100, 1, dict.fromkeys(STRATA, 0.02), 1.0, dict.fromkeys(STRATA, 1.0)
            )
        },
        CUTOFF,
        True,
        1.2,
        100,
        {"salary_arrived": 1.4, "deposit_maturing": 2.5},
    )
    ids = np.array(["A", "B", "C", "D"], dtype=object)
    live = pd.DataFrame(
        {
            "salary_arrived": [True, True, False, False],
            "deposit_maturing": [False, True, False, False],
            "birthday": [False, False, True, False],
        },
        index=ids,
    )
    v = channel_values(
        ids,
        np.array([STRATA[0]] * 4, dtype=object),
        live.any(axis=1).to_numpy(),
        effects,
        ("call",),
        np.zeros(1),
        1.0,
        np.full(4, 0.1),
        live,
    )
    # salary 1.4; salary and deposit: the larger; birthday never measured: the pooled 1.2; nothing live: 1
    assert np.allclose(v.increment[:, 0], [0.14, 0.25, 0.12, 0.1])
