"""Values per customer × channel: the call's uplift, messages as its ratio per stratum, the moment boost, the cost."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from callwise.channels.effects import ChannelEffect, ChannelEffects
from callwise.channels.strata import STRATA
from callwise.channels.values import channel_values


def effects(boost: float = 1.0) -> ChannelEffects:
    ratio = dict.fromkeys(STRATA, 0.1) | {"young_digital": 0.5}
    return ChannelEffects(
        {
            "call": ChannelEffect(
                "call", 0.03, 0.0, 1000, 2, dict.fromkeys(STRATA, 0.03), 1.0, dict.fromkeys(STRATA, 1.0)
            ),
            "app_push": ChannelEffect("app_push", 0.004, 0.0, 1000, 2, dict.fromkeys(STRATA, 0.004), 0.2, ratio),
            "email": ChannelEffect("email", 0.001, 0.0, 50, 1, dict.fromkeys(STRATA, 0.001)),  # no ratio measured
        },
        datetime(2026, 7, 1),
        True,
        boost,
    )


def test_messages_follow_the_call_uplift_by_the_stratum_ratio_and_moments_boost_every_channel():
    ids = np.array(["A", "B", "C", "D"], dtype=object)
    stratum = np.array(["young_digital", "senior_offline", "young_digital", "young_digital"], dtype=object)
    live = np.array([False, False, True, False])
    uplift = np.array([0.04, 0.04, 0.04, np.nan])  # D: the call policy bars them, no uplift
    v = channel_values(
        ids, stratum, live, effects(1.5), ("call", "app_push", "email"), np.array([5, 0.01, 0.02]), 1000.0, uplift
    )
    assert np.allclose(v.increment[:, 0], [0.04, 0.04, 0.06, 0.03])  # D: the call's measured effect stands in
    assert np.allclose(v.increment[:, 1], [0.02, 0.004, 0.03, 0.004])  # uplift × ratio; D: the direct effect
    assert np.allclose(v.increment[:, 2], [0.001, 0.001, 0.0015, 0.001])  # no ratio: the direct effect
    assert np.allclose(v.value, v.increment * 1000 - np.array([5, 0.01, 0.02]))


def test_a_negative_call_uplift_gives_a_message_nothing():
    v = channel_values(
        np.array(["A"], dtype=object),
        np.array(["young_digital"], dtype=object),
        np.array([False]),
        effects(),
        ("call", "app_push"),
        np.zeros(2),
        100.0,
        np.array([-0.02]),
    )
    assert v.increment[0, 1] == 0 and v.increment[0, 0] == -0.02
