"""Segments on a small synthetic bank and on a hand-made one whose profile is known."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.segments import (
    SegmentError,
    assign_segments,
    current_segmentation,
    fit_segments,
    rename_segment,
)
from callwise.segments import profile as profile_module
from callwise.segments.ids import matched_ids
from callwise.segments.model import Segmentation

from .conftest import CUTOFF, HAND_CUTOFF


def test_a_fit_writes_assignments_history_and_json(lake: Lake):
    seg = fit_segments(lake, CUTOFF, k=4, boots=1)
    assert seg.k == 4 and [s.id for s in seg.segments] == ["S01", "S02", "S03", "S04"]
    table = lake.table("segments").to_pyarrow()
    assert table.schema.names == ["customer_id", "segment_id", "distance", "assigned_at"]
    assert table.num_rows == seg.customers == 1_500
    assert sum(s.size for s in seg.segments) == 1_500
    history = lake.table("segment_history").to_pyarrow()
    assert sorted(history.column("segment_id").to_pylist()) == ["S01", "S02", "S03", "S04"]
    saved = json.loads((lake.root / "_segments" / "current.json").read_text(encoding="utf-8"))
    assert saved["method"] == "kmeans" and saved["k"] == 4 and "stability_ari" in saved
    assert Segmentation.from_json(saved) == current_segmentation(lake)
    assert "occupation" not in saved["features"]


def test_k_is_chosen_by_silhouette_among_stable_fits(lake: Lake):
    seg = fit_segments(lake, CUTOFF, ks=(2, 4), boots=2, write=False)
    assert set(seg.silhouette_by_k) == {2, 3, 4} == set(seg.stability_by_k)
    stable = [k for k, v in seg.stability_by_k.items() if v >= 0.8]
    if stable:
        assert seg.k == max(stable, key=lambda k: seg.silhouette_by_k[k])
    assert seg.stability_ari == seg.stability_by_k[seg.k]
    assert seg.silhouette == seg.silhouette_by_k[seg.k]


def test_the_same_data_and_seed_give_the_same_segments(lake: Lake):
    a = fit_segments(lake, CUTOFF, k=3, boots=1, write=False)
    b = fit_segments(lake, CUTOFF, k=3, boots=1, write=False)
    assert [s.centroid for s in a.segments] == [s.centroid for s in b.segments]


def test_ids_are_stable_across_refreshes_with_the_rows_permuted(lake: Lake):
    first = fit_segments(lake, CUTOFF, k=4, boots=1)
    before = lake.table("segments").to_pandas().set_index("customer_id").segment_id
    # the same customers in another order in every file, and another seed: ids follow the centroids
    for name in ("customers", "transactions", "contacts"):
        data = lake.table(name).to_pyarrow()
        order = np.random.default_rng(1).permutation(data.num_rows)
        lake.write(name, data.take(pa.array(order)))
    second = fit_segments(lake, CUTOFF, k=4, boots=1)
    after = lake.table("segments").to_pandas().set_index("customer_id").segment_id.loc[before.index]
    assert (before == after).mean() > 0.95
    assert {s.id: s.auto_name_en for s in first.segments} == {s.id: s.auto_name_en for s in second.segments}


def test_a_new_segment_gets_a_new_id():
    old = np.array([[0.0, 0.0], [5.0, 5.0]])
    new = np.array([[5.1, 5.0], [9.0, 9.0], [0.1, 0.0]])
    assert matched_ids(new, old, ["S01", "S02"]) == ["S02", "S03", "S01"]


def test_names_are_unique_and_bilingual(lake: Lake):
    seg = fit_segments(lake, CUTOFF, k=6, boots=1, write=False)
    zh = [s.name_zh for s in seg.segments]
    en = [s.name_en for s in seg.segments]
    assert len(set(zh)) == len(zh) and len(set(en)) == len(en)
    assert all(n.endswith("客户") for n in zh)
    assert all(n.isascii() for n in en)


def test_a_level_is_named_in_words_of_each_language():
    from callwise.segments.naming import traits
    from callwise.segments.scale import Column, Scaler

    scaler = Scaler((Column("education", "level", levels=("大专", "本科")),))
    found = traits(scaler, np.array([0.9, 0.1]), np.array([0.3, 0.7]))
    assert found[0][1:] == ("大专学历", "college-educated")


def test_a_rename_is_kept_after_a_refit(lake: Lake):
    first = fit_segments(lake, CUTOFF, k=3, boots=1)
    target = first.segments[1].id
    rename_segment(lake, target, "重点客群", "Key group")
    assert current_segmentation(lake).get(target).name_en == "Key group"  # type: ignore[union-attr]
    again = fit_segments(lake, CUTOFF, k=3, boots=1)
    kept = again.get(target)
    assert kept is not None and kept.renamed and (kept.name_zh, kept.name_en) == ("重点客群", "Key group")
    assert kept.auto_name_en == first.segments[1].auto_name_en


def test_the_customer_360_names_a_customers_segment(lake: Lake):
    from callwise.customers.profile import segment_of

    seg = fit_segments(lake, CUTOFF, k=3, boots=1)
    found = segment_of(lake, "C00000001")
    assert found is not None and found["name"] == {
        "zh": seg.name(found["segment_id"], "zh"),
        "en": seg.name(found["segment_id"], "en"),
    }


def test_renames_are_refused_clearly(lake: Lake):
    with pytest.raises(SegmentError, match="no segments yet"):
        rename_segment(lake, "S01", "a", "b")
    seg = fit_segments(lake, CUTOFF, k=3, boots=1)
    with pytest.raises(SegmentError, match="no segment 'S09'"):
        rename_segment(lake, "S09", "a", "b")
    with pytest.raises(SegmentError, match="already has this name"):
        rename_segment(lake, "S01", seg.segments[1].name_zh, "x")
    with pytest.raises(SegmentError, match="must not be empty"):
        rename_segment(lake, "S01", " ", "x")


def test_bad_inputs_are_refused_in_both_languages(lake: Lake, tmp_path):
    cases = [
        ({"k": 1}, "at least 2", "至少为 2"),
        ({"method": "dbscan"}, "unknown segmentation method", "未知的分群方法"),
        ({"features": ("occupation",)}, "hidden life situation", "生活状况"),
        ({"features": ("age", "shoe_size")}, "no feature is called 'shoe_size'", "shoe_size"),
        ({"tags": ("high_net_worth",)}, "no tag table yet", "还没有标签表"),
    ]
    for kwargs, en, zh in cases:
        with pytest.raises(SegmentError) as error:
            fit_segments(lake, CUTOFF, **kwargs)
        assert en in str(error.value) and zh in error.value.message("zh")
    empty = Lake(tmp_path / "empty")
    with pytest.raises(SegmentError, match="has no customers"):
        fit_segments(empty, CUTOFF)


def test_an_unknown_tag_is_named(lake: Lake):
    from callwise.tags import build_tags, default_catalogue

    build_tags(lake, default_catalogue(), CUTOFF)
    with pytest.raises(SegmentError, match="no tag 'shoe_size'"):
        fit_segments(lake, CUTOFF, tags=("high_net_worth", "shoe_size"))
    seg = fit_segments(lake, CUTOFF, k=3, features=("age",), tags=("high_net_worth", "salary_paid"), boots=1)
    assert seg.tags == ("high_net_worth", "salary_paid") and seg.k == 3


def test_ward_fits_on_a_sample_and_assigns_everyone(lake: Lake):
    seg = fit_segments(lake, CUTOFF, k=4, method="ward", boots=1)
    assert seg.method == "ward" and seg.k == 4
    assert lake.table("segments").count().to_pyarrow().as_py() == 1_500


def test_the_profile_of_a_hand_made_bank(hand: Lake, monkeypatch):
    monkeypatch.setattr(profile_module, "MIN_CALLS", 1)
    seg = fit_segments(hand, HAND_CUTOFF, k=2, ks=(2, 2), boots=1)
    assigned = hand.table("segments").to_pandas().set_index("customer_id").segment_id
    young, old = assigned["A"], assigned["D"]
    assert set(assigned[["A", "B", "C"]]) == {young} and set(assigned[["D", "E", "F"]]) == {old} and young != old
    p_young, p_old = seg.get(young).profile, seg.get(old).profile  # type: ignore[union-attr]
    assert (p_young["size"], p_young["share"]) == (3, 0.5)
    assert p_young["called"] == 3 and p_young["response_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert p_old["response_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert p_young["uplift"] == {
        "treatment_rate": 0.5,
        "control_rate": 0.0,
        "difference": 0.5,
        "n_treatment": 2,
        "n_control": 1,
    }
    assert p_old["uplift"]["difference"] == -0.5
    assert p_young["best_hours"][0] == {"hour": 19, "calls": 2, "answer_rate": 1.0}
    assert p_old["best_hours"][0] == {"hour": 10, "calls": 2, "answer_rate": 1.0}
    assert (p_young["preferred_channel"], p_old["preferred_channel"]) == ("手机银行", "柜面")
    income = next(f for f in p_young["features"] if f["feature"] == "income_monthly")
    assert (income["segment_mean"], income["bank_mean"]) == (21000.0, 12000.0)
    names = {seg.get(young).name_en, seg.get(old).name_en}  # type: ignore[union-attr]
    assert any("senior" in n.lower() or "pension" in n.lower() for n in names)


def test_assignment_in_the_lake_matches_the_fit(hand: Lake):
    seg = fit_segments(hand, HAND_CUTOFF, k=2, ks=(2, 2), boots=1)
    table = assign_segments(hand, seg).to_pandas()
    assert table.customer_id.tolist() == list("ABCDEF")
    assert (table.distance >= 0).all()
