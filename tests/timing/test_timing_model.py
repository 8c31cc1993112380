"""The answer model: shrinkage from global to segment to customer, legal hours, determinism, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from callwise.timing import TimingError, default_legal_hours, fit_answer_model, load_answer_model
from tests.timing.helpers import attempts_of, simulate


@pytest.fixture(scope="module")
def history() -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 customers with real differences in propensity, plus hand-made ones with known histories."""
    contacts, people = simulate(customers=2_000, attempts=6, seed=1, scale_spread=0.4)
    extra = {
        "UP": [True] * 12,  # answers every time
        "DOWN": [False] * 12,  # never answers
        "NONE": [],  # no history at all
        **{f"NEVER{n}": [False] * n for n in (2, 6, 20)},
        **{f"ALWAYS{n}": [True] * n for n in (2, 6, 20)},
    }
    people = pd.concat(
        [
            people,
            pd.DataFrame(
                {
                    "customer_id": pd.array(list(extra), dtype="str"),
                    "occupation": pd.array(["early"] * len(extra), dtype="str"),
                    "age": 40,
                }
            ),
        ],
        ignore_index=True,
    )
    contacts = pd.concat([contacts, *(attempts_of(c, a, hour=10) for c, a in extra.items() if a)], ignore_index=True)
    return contacts, people


@pytest.fixture(scope="module")
def model(history):
    contacts, people = history
    return fit_answer_model(contacts, people, segment_columns=("occupation",))


def segment_row(model, customer_id):
    return model.probabilities([customer_id], level="segment")[0]


def test_no_history_gets_the_segment_profile(model):
    p = model.probabilities(["NONE"])[0]
    assert np.array_equal(p, segment_row(model, "NONE"))
    table = model.segment_table()
    early = table[table["segment"] == "early"].sort_values("hour_of_week")
    np.testing.assert_allclose(p, early["p_answer"].to_numpy(), rtol=1e-6)
    # The early birds' profile is what generated the data: high in the morning, low in the evening.
    assert early.query("hour < 15")["p_answer"].mean() > 0.45 > 0.2 > early.query("hour >= 15")["p_answer"].mean()


def test_answering_moves_up_and_not_answering_moves_down(model):
    segment = segment_row(model, "UP")
    assert (model.probabilities(["UP"])[0] > segment).all()
    assert (model.probabilities(["DOWN"])[0] < segment).all()


def test_more_history_moves_further_from_the_segment(model):
    scale = dict(zip(model.customer_ids, model.customer_scale, strict=True))
    assert scale["NEVER20"] < scale["NEVER6"] < scale["NEVER2"] < 1 < scale["ALWAYS2"] < scale["ALWAYS6"]
    assert scale["ALWAYS6"] <= scale["ALWAYS20"]  # may meet the cap, never falls back
    # Shrinkage: two unanswered calls are weak evidence, twenty are strong.
    assert scale["NEVER2"] > 0.6 and scale["NEVER20"] < 0.3


def mean_move(fitted, ids) -> float:
    """Average distance between a customer's probabilities and their segment's."""
    return float(np.abs(fitted.probabilities(ids) - fitted.probabilities(ids, level="segment")).mean())


def test_customer_differences_are_found(model, history):
    # Scales were drawn with sd 0.4 (κ ≈ 6): the fitted prior is wide and customers move off their segment.
    assert 2 < model.fitted["kappa_customer"] < 15
    assert mean_move(model, history[1]["customer_id"].head(2_000)) > 0.05


def test_no_customer_differences_means_almost_no_customer_level():
    contacts, people = simulate(customers=2_000, attempts=6, seed=2, scale_spread=0.0)
    fitted = fit_answer_model(contacts, people, segment_columns=("occupation",))
    assert fitted.fitted["kappa_customer"] > 25
    assert mean_move(fitted, people["customer_id"]) < 0.015


def test_illegal_hours_are_zero_and_probabilities_are_probabilities(model):
    every = np.arange(168)
    p = model.probabilities(model.customer_ids[:300], every)
    assert p.dtype == np.float32 and p.shape == (300, 168)
    assert (p[:, ~default_legal_hours()] == 0).all()
    assert (p[:, default_legal_hours()] > 0).all() and (p <= 0.99).all()


def test_a_narrower_legal_window_is_respected(history):
    contacts, people = history
    legal = np.zeros(168, bool)
    legal[[d * 24 + h for d in range(5) for h in range(10, 18)]] = True  # weekdays 10:00–17:59
    fitted = fit_answer_model(contacts, people, legal, segment_columns=("occupation",))
    p = fitted.probabilities(["UP", "NONE", "unknown"], np.arange(168))
    assert (p[:, ~legal] == 0).all() and (p[:, legal] > 0).all()
    assert list(fitted.legal_slots) == list(np.flatnonzero(legal))
    assert fitted.fitted["attempts"]["outside_legal_hours"] > 0


def test_deterministic(history):
    contacts, people = history
    a = fit_answer_model(contacts, people, segment_columns=("occupation",))
    b = fit_answer_model(contacts.sample(frac=1.0, random_state=3), people, segment_columns=("occupation",))
    ids = people["customer_id"]
    np.testing.assert_allclose(a.probabilities(ids), b.probabilities(ids), rtol=1e-5, atol=1e-6)
    c = fit_answer_model(contacts, people, segment_columns=("occupation",))
    assert np.array_equal(a.probabilities(ids), c.probabilities(ids)) and a.fitted["strengths"] == c.fitted["strengths"]


def test_save_and_load_give_identical_probabilities(model, tmp_path):
    model.card["note"] = "round trip"
    model.save(tmp_path / "m")
    loaded = load_answer_model(tmp_path / "m")
    ids = [*model.customer_ids[:500], "unknown"]
    assert np.array_equal(model.probabilities(ids, np.arange(168)), loaded.probabilities(ids, np.arange(168)))
    pd.testing.assert_frame_equal(model.segment_table(), loaded.segment_table())
    assert loaded.fitted == model.fitted and loaded.params == model.params
    card = (tmp_path / "m" / "model_card.json").read_text(encoding="utf-8")
    assert '"kappa_customer"' in card and '"note": "round trip"' in card
    assert not list((tmp_path / "m").glob("*.pkl"))


def test_unknown_customers_fall_back_to_segment_or_global(model):
    segment_early = segment_row(model, "NONE")
    global_profile = model.probabilities(["NONE"], level="global")[0]
    newcomers = pd.DataFrame({"customer_id": ["NEW1", "NEW2"], "occupation": ["early", None], "age": [30, 30]})
    p = model.probabilities(["NEW1", "NEW2", "NEW3"], customers=newcomers)
    assert np.array_equal(p[0], segment_early)
    assert np.array_equal(p[1], global_profile)  # no occupation: no segment
    assert np.array_equal(p[2], global_profile)  # not in the frame at all
    assert np.array_equal(model.probabilities(["NEW1"])[0], global_profile)  # no frame given


def test_non_personalised_customers_get_the_global_profile(model):
    p = model.probabilities(["UP", "DOWN", "NONE"], non_personalised=[True, False, True])
    global_profile = model.probabilities(["UP"], level="global")[0]
    assert np.array_equal(p[0], global_profile) and np.array_equal(p[2], global_profile)
    assert not np.array_equal(p[1], global_profile)


def test_probability_at_matches_the_matrix(model):
    ids = np.array(["UP", "DOWN", "NONE", "C00003"])
    slots = np.array([9, 40, 130, 161])
    matrix = model.probabilities(ids, slots)
    np.testing.assert_allclose(model.probability_at(ids, slots), np.diag(matrix), rtol=1e-6)


def test_customer_table_and_best_slots(model):
    table = model.customer_table(["UP", "C00001"])
    assert set(table.columns) == {"customer_id", "weekday", "hour", "hour_of_week", "p_answer", "rank"}
    assert len(table) == 2 * 84
    assert all(sorted(ranks) == list(range(1, 85)) for _, ranks in table.groupby("customer_id")["rank"])
    best = model.best_slots(["C00001"], k=3)
    top = table[(table["customer_id"] == "C00001") & (table["rank"] <= 3)].sort_values("rank")
    assert list(best.loc[0, ["slot_1", "slot_2", "slot_3"]]) == list(top["hour_of_week"])
    assert best.loc[0, "p_1"] >= best.loc[0, "p_2"] >= best.loc[0, "p_3"]
    assert best.loc[0, "slot_1"] % 24 >= 15  # C00001 is a night owl


def test_thin_segments_stay_close_to_their_parent(history):
    contacts, people = history
    people = people.assign(age=np.where(people["customer_id"] == "UP", 99, 40))  # UP alone in its age band
    fitted = fit_answer_model(contacts, people, segment_columns=("occupation", "age_band"))
    labels = fitted.segments.labels().set_index("segment")
    lone, parent = fitted.profiles[labels.loc["early|60+", "row"]], fitted.profiles[labels.loc["early", "row"]]
    legal = fitted.legal
    assert np.abs(lone[legal] - parent[legal]).max() < 0.05  # twelve answers of one customer barely move it
    assert fitted.fitted["segments"] == {"occupation": 2, "occupation|age_band": 3}


def test_age_band_from_birth_date_as_of(history):
    contacts, people = history
    born = people.drop(columns="age").assign(birth_date=pd.Timestamp("1996-06-15"))
    early = fit_answer_model(contacts, born, segment_columns=("age_band",), as_of=pd.Timestamp("2026-06-14"))
    late = fit_answer_model(contacts, born, segment_columns=("age_band",), as_of=pd.Timestamp("2026-06-15"))
    assert early.segments.labels()["segment"].tolist() == ["all", "<30"]
    assert late.segments.labels()["segment"].tolist() == ["all", "30–45"]


def test_wrong_numbers_and_later_attempts_are_not_learnt_from(history):
    contacts, people = history
    wrong = attempts_of("C00000", [True] * 5).assign(disposition="wrong_number")
    cutoff = pd.Timestamp("2026-03-20")
    later = contacts["ts"] >= cutoff
    fitted = fit_answer_model(pd.concat([contacts, wrong]), people, segment_columns=("occupation",), as_of=cutoff)
    same = fit_answer_model(contacts[~later], people, segment_columns=("occupation",), as_of=cutoff)
    assert fitted.fitted["attempts"]["wrong_number"] == 5
    assert fitted.fitted["attempts"]["at_or_after_as_of"] == int(later.sum())
    assert np.array_equal(fitted.profiles, same.profiles)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, p: (c.iloc[0:0], p), "no call attempts to learn from"),
        (lambda c, p: (c.drop(columns="ts"), p), "contacts: missing column 'ts'"),
        (lambda c, p: (c.drop(columns="disposition"), p), "contacts: missing column 'disposition'"),
        (lambda c, p: (c.assign(channel="sms"), p), "no call attempts to learn from"),
        (lambda c, p: (c.assign(ts=c["ts"].dt.tz_localize("Asia/Shanghai")), p), "naive customer-local time"),
        (lambda c, p: (c, p.drop(columns="customer_id")), "customers: missing column 'customer_id'"),
    ],
)
def test_bad_inputs_are_refused_clearly(history, change, message):
    contacts, people = change(*history)
    with pytest.raises(TimingError, match=message):
        fit_answer_model(contacts, people, segment_columns=("occupation",))


def test_bad_segment_columns_and_masks_are_refused(history):
    contacts, people = history
    with pytest.raises(TimingError, match="customers: no segment column 'province'"):
        fit_answer_model(contacts, people, segment_columns=("province",))
    with pytest.raises(TimingError, match=r"'customer_id' has .* distinct values"):
        fit_answer_model(contacts, people, segment_columns=("customer_id",))
    with pytest.raises(TimingError, match="needs an 'age' column"):
        fit_answer_model(contacts, people.drop(columns="age"), segment_columns=("age_band",))
    with pytest.raises(TimingError, match="168 booleans"):
        fit_answer_model(contacts, people, np.ones(24, bool))
    with pytest.raises(TimingError, match="allows no hour"):
        fit_answer_model(contacts, people, np.zeros(168, bool))
    with pytest.raises(TimingError, match="0–167"):
        fit_answer_model(contacts, people, segment_columns=("occupation",)).probabilities(["UP"], [168])
