"""Moments (关键节点): triggers declared in YAML over the lake's events and tags, each making a moment with a
validity window; triggered campaigns call only customers with a live moment, and each moment is measured against
its own randomised control.

``default_triggers()`` is the catalogue callwise ships; ``load_triggers(path)`` a bank's own. ``moments_table``
evaluates them as of a time (one Ibis expression, either engine); ``build_moments`` writes the lake table
``moments``; ``live_moments`` filters a moments table at a time; ``moment_effect`` measures a triggered campaign
per moment. See docs/moments.md.
"""

from __future__ import annotations

from callwise.moments.build import (
    GRAINS,
    SCHEMA,
    TABLE,
    MomentBuild,
    MomentsError,
    build_history,
    build_moments,
    built_at,
    floor_to,
    live_moments,
    moments_table,
    pick_moment,
    stored_moments,
)
from callwise.moments.triggers import Trigger, TriggerError, Triggers, UnknownTrigger, default_triggers, load_triggers

__all__ = [
    "GRAINS",
    "SCHEMA",
    "TABLE",
    "MomentBuild",
    "MomentsError",
    "Trigger",
    "TriggerError",
    "Triggers",
    "UnknownTrigger",
    "build_history",
    "build_moments",
    "built_at",
    "default_triggers",
    "floor_to",
    "live_moments",
    "load_triggers",
    "moments_table",
    "pick_moment",
    "stored_moments",
]
