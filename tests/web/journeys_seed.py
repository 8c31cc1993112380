"""The journeys page's data for the browser test: the demo's journeys, walked with the lake's channel facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import Engine

from callwise.journeys.demo import seed_journeys
from callwise.journeys.gate import lake_facts
from callwise.lake import Lake
from callwise.ops.db import session_factory
from callwise.policy.config import default_policy


def seed_demo_journeys(engine: Engine, lake: Lake, today: date) -> None:
    policy = default_policy()
    now = datetime.combine(today, time(12, 0), tzinfo=UTC)
    assert seed_journeys(session_factory(engine), policy, lake_facts(lake, policy, now), now)
