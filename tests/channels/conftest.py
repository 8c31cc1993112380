"""A small synthetic bank with channels (consents, past multi-channel campaigns, moments), ingested, with an uplift
model: shared by the channel tests that only read it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

PRODUCT = "P_WM01"


@pytest.fixture(scope="session")
def channel_bank(tmp_path_factory) -> dict[str, Any]:
    from callwise.ingest import ingest_directory
    from callwise.lake import Lake
    from callwise.pipeline import default_list_date, train_uplift_from_lake
    from callwise.synth import synthesize

    root = tmp_path_factory.mktemp("channel_bank")
    manifest = synthesize(root / "bank", customers=3_000, seed=5, channels=True)
    lake = Lake(root / "lake", threads=2)
    ingest_directory(root / "bank", lake, root / "quarantine")
    model, _ = train_uplift_from_lake(lake, learner="auto", seed=5)
    day = default_list_date(date.fromisoformat(manifest["end"]))
    return {"root": root, "bank": root / "bank", "lake": lake, "model": model, "day": day}


def campaign_text(day: date, channels: str, extra: str = "") -> str:
    return (
        f"campaign_id: ch-test\nproduct_id: {PRODUCT}\ndate: {day.isoformat()}\ndays: 5\nagent_share: 0.1\n"
        f"ranking: uplift\nseed: 3\n{extra}channels:\n{channels}"
    )


CHANNELS = (
    "  budget: 1500\n"
    "  call: {cost: 5}\n"
    "  sms: {cost: 0.05, daily_limit: 100}\n"
    "  app_push: {cost: 0.005}\n"
    "  wechat: {cost: 0.02}\n"
    "  email: {cost: 0.01}\n"
)
