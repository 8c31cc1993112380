"""The report on a randomised additive world with known shares, by library, CLI and API; and what it refuses."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from callwise.attribution import methods as m
from callwise.attribution.errors import AttributionError
from callwise.attribution.paths import path_tables
from callwise.attribution.report import attribution_report
from callwise.cli import app
from callwise.lake import Lake
from callwise.results.campaign import results_for

from .world import write_world

EFFECTS = {"call": 0.12, "sms": 0.03, "app_push": 0.05, "wechat": 0.08, "email": 0.02}
REACH = {"call": 0.4, "sms": 0.7, "app_push": 0.6, "wechat": 0.5, "email": 0.6}
CAUSAL = ("markov_causal", "shapley_causal", "regression")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_world(tmp_path_factory.mktemp("attribution"), customers=60_000, seed=7, effects=EFFECTS, reach=REACH)


@pytest.fixture(scope="module")
def report(world):
    return attribution_report(world.lake)


def _error_pp(found: dict, truth: dict) -> float:
    return 100 * max(abs(found[c] - truth[c]) for c in truth)


def test_the_causal_methods_recover_the_true_shares_and_the_textbook_ones_do_not(world, report):
    truth = world.true_shares
    assert report["channels"] == ["call", "sms", "app_push", "wechat", "email"]
    for name in CAUSAL:
        assert _error_pp(report["methods"][name]["share"], truth) < 5, name
    # the textbook versions also share out the baseline conversions of each channel's reach
    for name in ("first_touch", "last_touch", "linear_touch", "markov"):
        assert _error_pp(report["methods"][name]["share"], truth) > 10, name
    assert report["default_method"] == "shapley_causal"


def test_the_causal_totals_agree_with_the_control_group_and_the_textbook_totals_do_not(report):
    control = report["control"]["total"]
    assert control["low"] < report["methods"]["shapley_causal"]["total"] < control["high"]
    assert control["low"] < report["methods"]["markov_causal"]["total"] < control["high"]
    # every conversion of a touched customer, the baseline included, is credited by the textbook methods
    assert report["methods"]["last_touch"]["total"] == report["conversions"] > control["high"]
    outside = {(w["method"], w["campaign"]) for w in report["warnings"] if w["key"] == "attribution.warn.total_outside"}
    assert ("last_touch", "CMP00") in outside and ("markov", "CMP01") in outside
    assert not any(name in {"shapley_causal", "markov_causal"} for name, _ in outside)


def test_the_control_increment_is_the_one_campaign_results_computes(world, report):
    for row in report["control"]["campaigns"]:
        results = results_for(row["campaign_id"], world.lake, 30)["itt"]["incremental_conversions"]
        assert row["incremental"] == pytest.approx(results["estimate"], rel=1e-5)
        assert (row["low"], row["high"]) == pytest.approx((results["low"], results["high"]), rel=1e-5)


def test_last_touch_is_flagged_where_it_is_off(world, report):
    flags = {f["channel"]: f for f in report["last_touch_flags"]}
    # call has the largest effect and a modest reach: last touch gives it far less than its share
    assert flags["call"]["gap"] < -0.1 and world.true_shares["call"] > 0.3
    for flag in flags.values():
        assert abs(flag["gap"]) > 0.05
    assert set(report["warning_text"]) == {"zh", "en"}
    assert any("末次触达" in text for text in report["warning_text"]["zh"])
    assert any(text.startswith("Last touch gives call") for text in report["warning_text"]["en"])


def test_one_campaign_only_reads_its_own_touches(world):
    one = attribution_report(world.lake, "CMP01")
    assert [row["campaign_id"] for row in one["campaigns"]] == ["CMP01"]
    assert [row["campaign_id"] for row in one["control"]["campaigns"]] == ["CMP01"]
    assert _error_pp(one["methods"]["shapley_causal"]["share"], world.true_shares) < 7


def test_a_call_with_several_attempts_is_one_touch(world):
    tables = path_tables(world.lake)
    contacts = world.lake.table("contacts")
    calls = contacts.filter(contacts.channel == "call")
    attempts = calls.count().to_pyarrow().as_py()
    members = calls.select("campaign_id", "customer_id").distinct().count().to_pyarrow().as_py()
    assert attempts > members  # the world calls up to three times
    touches = tables.credits.loc[tables.credits["channel"] == "call", "touches"].sum()
    assert touches == members


def test_cli_report_in_both_languages_and_json(world, monkeypatch):
    runner = CliRunner()
    args = ["attribution", "report", "--lake", str(world.lake.root), "--campaign", "CMP00"]
    found = runner.invoke(app, [*args, "--json"])
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    assert data["campaign_id"] == "CMP00" and data["methods"]["shapley_causal"]["share"]["call"] > 0.3
    monkeypatch.setenv("CALLWISE_LANG", "en")
    english = runner.invoke(app, args)
    assert english.exit_code == 0, english.output
    assert "Shapley (baseline removed) *" in english.output and "Control-group incremental" in english.output
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    chinese = runner.invoke(app, args)
    assert chinese.exit_code == 0 and "对照组增量成交" in chinese.output and "末次触达" in chinese.output


def test_cli_refuses_a_bad_lookback_and_an_unknown_campaign(world, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    runner = CliRunner()
    base = ["attribution", "report", "--lake", str(world.lake.root)]
    bad = runner.invoke(app, [*base, "--lookback-days", "0"])
    assert bad.exit_code == 2
    unknown = runner.invoke(app, [*base, "--campaign", "NOPE"])
    assert unknown.exit_code == 2
    assert "Campaign NOPE has no marketing touch" in unknown.output
    assert "Traceback" not in unknown.output


def test_api_gives_the_report(api, world):
    api.services.lake = world.lake
    found = api.client.get("/api/v1/attribution?campaign=CMP00&lookback_days=30", headers=api.as_("analyst"))
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["default_method"] == "shapley_causal" and body["control"]["total"]["incremental"] > 0
    refused = api.client.get("/api/v1/attribution?campaign=NOPE", headers=api.as_("analyst"))
    assert refused.status_code == 409 and "NOPE" in refused.json()["error"]["message"]
    assert api.client.get("/api/v1/attribution?lookback_days=0", headers=api.as_("analyst")).status_code == 422


def test_refusals_name_what_is_wrong(tmp_path):
    empty = Lake(tmp_path / "empty")
    with pytest.raises(AttributionError, match="no contacts table"):
        attribution_report(empty)
    with pytest.raises(AttributionError, match="lookback 0 is not valid"):
        attribution_report(empty, lookback_days=0)
    with pytest.raises(AttributionError, match="lookback True is not valid"):
        attribution_report(empty, lookback_days=True)  # type: ignore[arg-type]
    with pytest.raises(AttributionError, match="significance level"):
        attribution_report(empty, alpha=0.7)


def test_more_than_twelve_channels_are_refused_with_one_sentence(tmp_path):
    effects = {f"ch{i:02d}": 0.01 for i in range(13)}
    world = write_world(
        tmp_path, customers=3_000, seed=1, campaigns=1, effects=effects, reach=dict.fromkeys(effects, 0.5)
    )
    with pytest.raises(AttributionError, match="exact for at most 12 channels and there are 13"):
        attribution_report(world.lake)


def test_without_a_control_group_the_report_says_so_and_falls_back(tmp_path):
    world = write_world(tmp_path, customers=4_000, seed=2, campaigns=1, effects=EFFECTS, reach=REACH)
    members = world.lake.table("campaign_members").to_pyarrow()
    world.lake.write("campaign_members", members.filter(pa.compute.equal(members["group"], "treatment")))
    report = attribution_report(world.lake)
    assert report["default_method"] == "shapley" and report["control"]["total"] is None
    assert "markov_causal" not in report["methods"]
    assert report["warnings"][0]["key"] == "attribution.warn.no_control"


def test_with_selective_reach_the_causal_methods_compare_customers_of_the_same_consents(tmp_path):
    # only consenting customers can be touched, and those who allow app push buy more anyway: a path method that
    # compared touched with untouched customers across consents would credit app push with their baseline
    consented = {"call": 0.9, "sms": 0.8, "app_push": 0.4, "wechat": 0.5, "email": 0.6}
    world = write_world(tmp_path, customers=60_000, seed=7, effects=EFFECTS, reach=REACH, consented=consented)
    tables = path_tables(world.lake)
    assert tables.sets["eligible"].nunique() > 20  # strata of consent
    report = attribution_report(world.lake)
    for name in ("shapley_causal", "markov_causal", "regression"):
        assert _error_pp(report["methods"][name]["share"], world.true_shares) < 5, name
    # the same Shapley value over every customer of a campaign at once, consents ignored, is misled
    credit = np.zeros(len(tables.channels))
    for _, sets in tables.sets.groupby("campaign_id"):
        control = sets[sets["mask"] == 0]
        rate = control.loc[control["converted"], "n"].sum() / control["n"].sum()
        n, won = m.set_counts(sets[sets["mask"] > 0], len(tables.channels))
        credit += m.shapley_credit(n, won, len(tables.channels), rate, 2)
    pooled = dict(zip(tables.channels, credit / credit.sum(), strict=True))
    assert _error_pp(pooled, world.true_shares) > 7


def test_a_calls_consent_comes_from_the_customers_table_when_the_consents_table_has_no_call_rows(tmp_path):
    from datetime import datetime

    from callwise.attribution.paths import _campaigns, _eligibility
    from callwise.lake import Lake

    lake = Lake(tmp_path / "lake")
    lake.write("customers", pa.table({"customer_id": ["C1", "C2"], "consent_marketing": [True, False]}))
    lake.write(
        "consents",
        pa.table(
            {
                "customer_id": ["C1", "C2"],
                "channel": ["sms", "sms"],
                "purpose": ["marketing", "marketing"],
                "granted": [True, True],
                "ts": pa.array([datetime(2026, 1, 1)] * 2, pa.timestamp("us")),
            }
        ),
    )
    start = pa.array([datetime(2026, 3, 1)], pa.timestamp("us"))
    lake.write("campaigns", pa.table({"campaign_id": ["K"], "product_id": ["P"], "start_at": start}))
    masks = _eligibility(lake, _campaigns(lake), ("call", "sms"), None).to_pandas()
    assert dict(zip(masks.customer_id, masks.eligible, strict=True)) == {"C1": 0b11, "C2": 0b10}
