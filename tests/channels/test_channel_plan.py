"""The channel plan on a small synthetic bank with channels: policy bars kept, funnels that add up, a reason for
every channel not chosen, calls through the scheduler and gate, messages outside their quiet hours."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from callwise.channels.plan import PLANNER_CODES, plan_channels
from callwise.lists.campaign import load_campaign
from callwise.policy import default_policy
from callwise.policy.channels import MESSAGE_CODES
from tests.channels.conftest import CHANNELS, campaign_text


@pytest.fixture(scope="module")
def planned(channel_bank, tmp_path_factory):
    path = tmp_path_factory.mktemp("campaign") / "c.yaml"
    path.write_text(campaign_text(channel_bank["day"], CHANNELS), encoding="utf-8")
    campaign = load_campaign(path)
    return campaign, plan_channels(campaign, channel_bank["lake"], channel_bank["model"]), path


def test_every_customer_has_one_channel_or_none_and_every_other_channel_a_reason(planned):
    _, plan, _ = planned
    c = plan.choices
    assert c["customer_id"].is_unique
    for ch in plan.values.channels:
        reason = c[f"reason__{ch}"]
        assert reason[c["channel"] == ch].isna().all()  # the chosen channel has no reason against it
        assert reason[c["channel"] != ch].notna().all()  # chosen for calls but not called: the list's reason


def test_funnels_add_up_and_use_known_codes(planned):
    _, plan, _ = planned
    known = {*MESSAGE_CODES, *PLANNER_CODES, "negative_uplift", "control_group", "below_capacity"}
    for ch, part in plan.summary["per_channel"].items():
        steps = part["funnel"]
        assert steps[0]["remaining"] == plan.summary["customers"]
        assert steps[-1]["remaining"] == part["chosen"]
        for before, step in itertools.pairwise(steps):
            assert before["remaining"] - step["removed"] == step["remaining"]
        if ch != "call":
            assert {s["step"] for s in steps[1:]} <= known
        else:  # the call list's own rules first, then the planner's codes
            names = [s["step"] for s in steps[1:]]
            planner = [i for i, n in enumerate(names) if n in PLANNER_CODES]
            policy = [i for i, n in enumerate(names) if n not in known]
            assert policy and planner and max(policy) < min(planner)


def test_no_barred_pair_is_chosen_and_no_limit_is_passed(planned):
    campaign, plan, _ = planned
    c = plan.choices
    used = plan.values.channels
    col = np.array([used.index(x) if isinstance(x, str) else -1 for x in c["channel"]])
    rows = np.flatnonzero(col >= 0)
    assert plan.allowed[rows, col[rows]].all()
    for ch in used:
        n = int((c["channel"] == ch).sum())
        assert n <= plan.capacity[ch]
    assert plan.summary["cost"] <= campaign.channels.budget + 1e-6
    assert plan.summary["per_channel"]["sms"]["chosen"] <= 100 * 5  # daily limit × days
    assert 0 <= plan.summary["optimiser"]["gap"] < 0.05


def test_calls_go_through_the_scheduler_and_the_gate(planned):
    _, plan, _ = planned
    assert plan.calls is not None
    called = set(plan.calls.listed["customer_id"])
    assert called == set(plan.choices.loc[plan.choices["channel"] == "call", "customer_id"])
    assert set(plan.calls.calls["customer_id"]) <= called
    assert plan.calls.summary["funnel"][1]["step"] == "other_channel"


def test_messages_are_sent_outside_their_quiet_hours(planned):
    _, plan, _ = planned
    policy = default_policy()
    sends = plan.choices[plan.choices["channel"].isin(["sms", "app_push", "wechat"])]
    assert len(sends)
    for ch, at in zip(sends["channel"], sends["send_local"], strict=True):
        local = datetime.fromisoformat(at)
        window = policy.channels.channel(ch).quiet_hours
        assert window is not None and not window.quiet_at(local.hour * 60 + local.minute)


def test_values_have_no_message_effect_from_campaigns_after_the_cutoff(channel_bank):
    from callwise.channels.effects import estimate_effects

    early = estimate_effects(channel_bank["lake"], datetime(2025, 9, 1))  # before every multi-channel campaign
    assert all(e.touched == 0 and e.overall == 0 for e in early.effects.values())


def test_the_cli_writes_the_plan_and_prints_json(planned, channel_bank, tmp_path):
    from callwise.cli import app

    _, plan, path = planned
    model_dir = tmp_path / "model"
    channel_bank["model"].save(model_dir)
    out = tmp_path / "out"
    args = ["lists", "channels", "--campaign", str(path), "--out", str(out), "--lake", str(channel_bank["lake"].root)]
    done = CliRunner().invoke(app, [*args, "--model", str(model_dir), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["per_channel"] == plan.summary["per_channel"]
    assert (out / "choices.csv").is_file() and (out / "calls" / "call_list.csv").is_file()
    assert "phone" not in (out / "choices.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    recorded = summary["members_recorded"]
    members = channel_bank["lake"].table("campaign_members")
    ours = members.filter(members.campaign_id == "ch-test").to_pandas()
    assert len(ours) == len(plan.calls.members) and set(ours["group"]) == {"treatment", "control"}
    assert recorded
