"""The call list of one campaign: policy, ranking, experiment, schedule, gate.

1. The campaign's audience (a tag expression) and segment map, then the contact policy's customer rules,
   leave out whom they must (each with a reason code; see :mod:`callwise.lists.audience`).
2. The response model scores the rest; expected value = p(convert) × value per conversion − cost per call.
   With ``ranking: uplift`` an uplift model does: expected value = (p(convert | on the list) − p(convert | held
   out)) × value − cost, and customers a call confidently puts off (the uplift's interval below zero) are left off.
3. A randomised control group (stratified by score decile) and script arms are drawn by hash.
4. The scheduler plans slot, agent and attempts for the best customers within the agents' capacity; the
   control customers it would have called are held out instead.
5. The policy's gate re-checks every planned call; nothing it refuses leaves callwise.

Everyone not called has a reason code, the funnel adds up, and the same lake, campaign, policy and models
give byte-identical files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.configfile import suggest
from callwise.experiments import assign_groups, campaign_seed
from callwise.experiments.measurable import measurability
from callwise.features import customer_features, materialize
from callwise.features.members import TRAIT_COLUMNS, member_traits
from callwise.i18n.errors import Translated
from callwise.i18n.message import clipped, msg
from callwise.lake import Lake
from callwise.lists.audience import SegmentPlans, segment_arms, segment_hours
from callwise.lists.audience import select as campaign_select
from callwise.lists.campaign import Campaign, CampaignSettings
from callwise.lists.summary import ListSummary
from callwise.models import reason_text
from callwise.policy import (
    CustomerVerdicts,
    GateResult,
    Policy,
    default_policy,
    evaluate_customers,
    gate,
    history_since,
    load_call_history,
    number_days,
)
from callwise.policy import load_policy as read_policy
from callwise.policy.calltime import local_calls
from callwise.policy.phones import NumberDays
from callwise.protocols import AnswerScorer, ResponseScorer, UpliftScorer
from callwise.schedule.slots import (
    DEFAULT_LANGUAGE,
    WEEKDAYS,
    ScheduleInputError,
    Slots,
    Workforce,
    campaign_slots,
    day_range,
    workforce,
)
from callwise.schedule.stage import CallPlan, answer_matrix, answered_uplift, plan_calls
from callwise.schema.contract import PHONE_KEY

# Customers no policy rule excludes who are still not called, in funnel order after the policy's rules
# (negative_uplift only on lists ranked by uplift).
RANKING_REASONS = ("negative_uplift", "not_worth_calling", "below_capacity", "control_group")
UPLIFT_LEVEL = 0.9  # a customer is left off as negative_uplift when the upper end of this interval is below zero
REASONS_ON_LIST = 3
_VALUE_COLUMNS = tuple(f"value_{i}" for i in range(1, REASONS_ON_LIST + 1))


class ListError(Translated, ValueError):
    """A list that cannot be built as asked (unknown product, model missing features, no agents …)."""


@dataclass(frozen=True)
class PlanInputs:
    """What the schedule was planned from; the truth comparisons plan other schedules from the same."""

    customers: pd.DataFrame  # worth calling: score, group, attempts left, time zone, priority …
    p_answer: np.ndarray  # (customers × slots) p(answer), zero where a call is not allowed
    force: Workforce
    slots: Slots
    product: dict[str, Any]
    campaign: Campaign
    bank_timezone: str
    plan: CallPlan
    numbers: NumberDays | None  # the phone rule as the plan kept it
    margin: np.ndarray | None = None  # value of an answered call the plan used, when not derived from the score


@dataclass(frozen=True)
class ListResult:
    listed: pd.DataFrame  # the called customers, best first
    calls: pd.DataFrame  # every call that passed the gate: slot, agent, attempt, masked phone
    members: pd.DataFrame  # campaign members: called (treatment) and held out (control), with arm
    excluded: pd.DataFrame  # everyone not called, with a reason code
    ranked: pd.DataFrame  # every eligible customer with score and expected value, best first
    summary: ListSummary
    seconds: dict[str, float]  # per step; kept out of the written summary so files stay byte-identical
    planning: PlanInputs
    # Per row of ``listed``: reason_1..3 as feature names (None: no reason) and value_1..3, to word them anew.
    reason_codes: pd.DataFrame | None = None


def load_product(lake: Lake, product_id: str) -> dict[str, Any]:
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).to_pandas()
    if rows.empty:
        known = sorted(products.select("product_id").distinct().to_pandas()["product_id"].astype(str))
        hint = suggest(product_id, known)
        raise ListError("lists.refused.unknown_product", product=product_id, hint=hint, known=clipped(known))
    product: dict[str, Any] = rows.iloc[0].to_dict()
    return product


def check_teams(agents: pd.DataFrame, campaign: Campaign) -> pd.DataFrame:
    """The agents of the campaign's teams; a team no agent belongs to is refused, naming the teams there are."""
    if campaign.teams is None:
        return agents
    if "team" not in agents.columns:
        raise ListError("lists.refused.no_team_column", campaign=campaign.campaign_id)
    known = sorted(agents["team"].dropna().astype(str).unique())
    unknown = [team for team in campaign.teams if team not in known]
    if unknown:
        name = unknown[0]
        raise ListError(
            "lists.refused.unknown_team",
            campaign=campaign.campaign_id,
            team=name,
            hint=suggest(name, known),
            known=clipped(known),
        )
    return agents[agents["team"].isin(campaign.teams)]


def check_ranking(campaign: Campaign, model: object) -> None:
    """An uplift model for ``ranking: uplift``, a response model otherwise; the other way round is refused."""
    if isinstance(model, UpliftScorer) != (campaign.ranking == "uplift"):
        raise _wrong_model(campaign)


def load_ranking_model(campaign: Campaign, directory: str | Path) -> ResponseScorer | UpliftScorer:
    """The saved model the campaign ranks by: an uplift model for ``ranking: uplift``, else a response model."""
    from callwise.models import load_model
    from callwise.uplift import is_uplift_model, load_uplift

    if Path(directory).is_dir() and is_uplift_model(directory) != (campaign.ranking == "uplift"):
        raise _wrong_model(campaign)
    return load_uplift(directory) if campaign.ranking == "uplift" else load_model(directory)


def _wrong_model(campaign: Campaign) -> ListError:
    key = "lists.refused.needs_uplift_model" if campaign.ranking == "uplift" else "lists.refused.needs_response_model"
    return ListError(key, campaign=campaign.campaign_id)


def campaign_policy(campaign: Campaign) -> Policy:
    return read_policy(campaign.policy) if campaign.policy is not None else default_policy()


def build_list(
    campaign: Campaign,
    lake: Lake,
    model: ResponseScorer | UpliftScorer,
    policy: Policy | None = None,
    answer_model: AnswerScorer | None = None,
    bank_timezone: str = "Asia/Shanghai",
    calls_for: pd.Series | None = None,
) -> ListResult:
    """Decide the list for one campaign; nothing is written (see :func:`callwise.lists.output.write_list`).

    ``model`` is a response model, or an uplift model when the campaign ranks by uplift (anything else is refused).
    ``calls_for`` (a channel plan's calls: customer_id → touches the plan gives the call) lists only those
    customers, each with at most that many attempts; the others are left off as ``other_channel``.
    """
    check_ranking(campaign, model)
    clock = _Clock()
    policy = policy or campaign_policy(campaign)
    product = load_product(lake, campaign.product_id)
    slots = calling_slots(campaign, policy)
    verdicts = evaluate_customers(lake, policy, product, campaign.campaign_id, slots.days[0], slots.days[-1])
    verdicts, segments = _campaign_select(verdicts, lake, campaign)
    if calls_for is not None:
        verdicts = only_these(verdicts, calls_for)
    clock.lap("policy")

    ranked, X = _score(lake, campaign, model, product, verdicts)
    clock.lap("score")
    keep = ranked["expected_value"] > campaign.min_expected_value
    if "uplift_high" in ranked:
        keep &= ranked["uplift_high"] >= 0
    worth = ranked[keep].reset_index(drop=True)
    groups = assign_groups(
        worth["customer_id"],
        worth["score"],
        campaign_seed(campaign.campaign_id, campaign.seed),
        campaign.control_share,
        campaign.arms,
    )
    worth = segment_arms(pd.concat([worth, groups[["score_decile", "group", "arm"]]], axis=1), segments)
    clock.lap("experiment")

    if answer_model is None:
        answer_model = _answer_model(lake, campaign)
    force, plan_input, p_answer = _plan_inputs(
        lake, campaign, policy, product, slots, worth, answer_model, bank_timezone
    )
    segment_hours(p_answer, plan_input, segments, slots)
    clock.lap("answer")
    history = load_call_history(lake, history_since(policy, slots.days[0]))
    numbers = number_days(verdicts, policy, plan_input["customer_id"], slots.starts, slots.day, history, bank_timezone)
    clock.lap("numbers")
    value = float(product["value_per_conversion"])
    # Ranked by uplift: an answered call is worth what it adds (the scheduler's p(answer) × uplift × value − cost).
    margin = answered_uplift(plan_input["uplift"].to_numpy(float), p_answer) * value if "uplift" in worth else None
    plan = plan_calls(
        plan_input,
        p_answer,
        force,
        slots,
        value,
        campaign.cost_per_call,
        campaign.max_attempts,
        campaign.capacity,
        campaign.control_share,
        campaign.seed,
        margin=margin,
        numbers=numbers,
    )
    clock.lap("schedule")

    checked = gate(plan.calls, verdicts, policy, history, bank_timezone)
    clock.lap("gate")

    calls, listed, reason_codes = _listed(checked.kept, worth, plan, model, X, campaign, bank_timezone)
    clock.lap("explain")
    members = _members(worth, plan, listed, lake, campaign)
    if campaign.trigger is not None:  # each member's moment, so each moment is measured against its own control
        moment = verdicts.frame.set_index("customer_id")["moment_id"].reindex(members["customer_id"].to_numpy())
        members = members.assign(moment_id=moment.to_numpy())
    excluded = _excluded(verdicts, ranked, worth, plan, listed, checked.refused)
    summary = _summary(campaign, product, policy, verdicts, ranked, worth, plan, listed, excluded, checked, model)
    return ListResult(
        listed=listed,
        calls=calls,
        members=members,
        excluded=excluded,
        ranked=ranked,
        summary=summary,
        seconds=clock.laps,
        planning=PlanInputs(
            plan_input, p_answer, force, slots, product, campaign, bank_timezone, plan, numbers, margin
        ),
        reason_codes=reason_codes,
    )


def _campaign_select(
    verdicts: CustomerVerdicts, lake: Lake, campaign: Campaign
) -> tuple[CustomerVerdicts, SegmentPlans | None]:
    from callwise.lists.audience import SegmentsError
    from callwise.moments import MomentsError
    from callwise.tags import AudienceError, CatalogueError, TagTableError

    try:
        return campaign_select(verdicts, lake, campaign)
    except (AudienceError, TagTableError, SegmentsError, CatalogueError, MomentsError) as exc:
        raise ListError.of(exc) from None


def only_these(verdicts: CustomerVerdicts, calls_for: pd.Series) -> CustomerVerdicts:
    """The verdicts with a first step ``other_channel`` for everyone ``calls_for`` does not name, and attempts
    held to the touches it gives each."""
    from dataclasses import replace

    from callwise.lists.audience import CAMPAIGN_CODES
    from callwise.policy.customers import CUSTOMER_CODES, primary_and_reasons

    frame = verdicts.frame.copy()
    touches = calls_for.reindex(frame["customer_id"].to_numpy())
    frame["other_channel"] = touches.isna().to_numpy()
    frame["attempts_left"] = np.minimum(frame["attempts_left"].to_numpy(), touches.fillna(0).to_numpy(np.int64))
    codes = ("other_channel", *verdicts.campaign_codes)
    known = tuple(c for c in (*CAMPAIGN_CODES, *CUSTOMER_CODES) if c in frame.columns and c not in codes)
    primary, reasons = primary_and_reasons(frame, (*codes, *known))
    return replace(verdicts, frame=frame, primary=primary, reasons=reasons, campaign_codes=codes)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def calling_slots(campaign: CampaignSettings, policy: Policy) -> Slots:
    """The campaign's calling slots: its days from its date, skipping the days the policy closes."""
    closed, weekdays = set(), set()
    if policy.enabled("closed_days"):
        closed = set(policy.rules.closed_days.dates)
        weekdays = {WEEKDAYS.index(day) for day in policy.rules.closed_days.weekdays}
    try:
        days = day_range(campaign.date, campaign.days, closed, weekdays)
        return campaign_slots(days, campaign.first_hour, campaign.last_hour)
    except ScheduleInputError as exc:
        raise ListError.of(exc) from None


def _score(
    lake: Lake,
    campaign: Campaign,
    model: ResponseScorer | UpliftScorer,
    product: dict[str, Any],
    verdicts: CustomerVerdicts,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eligible customers with score and expected value, best first; and their model inputs by customer.

    Ranked by uplift, the score is p(convert | on the list) (what the control strata and the reports read) and
    the columns ``uplift`` and ``uplift_high`` (upper end of its interval) come after it."""
    eligible = verdicts.eligible
    # Features of the eligible customers only (a customer's features are their own rows' alone, so the same).
    members = ibis.memtable(pa.table({"customer_id": pa.array(eligible["customer_id"].to_numpy(), pa.string())}))
    expr = customer_features(lake, campaign.cutoff, product_id=campaign.product_id, customers=members)
    features = materialize(expr).to_pandas()
    features = features.set_index("customer_id").reindex(eligible["customer_id"].to_numpy())
    wanted = list(model.feature_names_in_)
    missing = [c for c in wanted if c not in features.columns]
    if missing:
        raise ListError("lists.missing_features", features=", ".join(missing[:5]))
    X = features[wanted]
    personal = ~eligible["non_personalised"].to_numpy(bool)
    scores = _predict(model, X, personal)
    value = float(product["value_per_conversion"])
    gain = scores["uplift"] if "uplift" in scores else scores["score"]
    ranked = pd.DataFrame(
        {
            "customer_id": eligible["customer_id"].to_numpy(),
            PHONE_KEY: eligible[PHONE_KEY].to_numpy(),
            "phone_masked": eligible["phone_masked"].to_numpy(),
            "timezone": eligible["timezone"].to_numpy(),
            "attempts_left": eligible["attempts_left"].to_numpy(),
            "last_call_at": eligible["last_call_at"].to_numpy(),
            "non_personalised": ~personal,
            **scores,
            "expected_value": gain * value - campaign.cost_per_call,
        }
    )
    # Highest expected value first; ties by customer_id so rebuilding gives the same order.
    ranked = ranked.sort_values(["expected_value", "customer_id"], ascending=[False, True], kind="stable")
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "priority", np.arange(1, len(ranked) + 1))
    return ranked, X


def _predict(model: ResponseScorer | UpliftScorer, X: pd.DataFrame, personal: np.ndarray) -> dict[str, np.ndarray]:
    """``score`` per row, and with an uplift model ``uplift`` and ``uplift_high`` too.

    Profiling opt-out (PIPL Art. 24): no profile model for those rows; each gets the mean of the others, and no
    upper end below zero (without a profile nobody is confidently put off by a call)."""
    rows = X[personal].reset_index(drop=True)
    out = {"score": np.zeros(len(X))}
    if isinstance(model, UpliftScorer):
        out["uplift"], out["uplift_high"] = np.zeros(len(X)), np.full(len(X), np.inf)
        if personal.any():
            treated, control = model.predict_outcomes(rows)
            out["score"][personal], out["uplift"][personal] = treated, treated - control
            out["uplift_high"][personal] = model.uplift_interval(rows, UPLIFT_LEVEL)[1]
    elif personal.any():
        out["score"][personal] = model.predict_proba(rows)[:, 1]
    for name in ("score", "uplift"):
        if name in out:
            out[name][~personal] = out[name][personal].mean() if personal.any() else 0.0
    return out


def _answer_model(lake: Lake, campaign: Campaign) -> AnswerScorer:
    """The campaign's saved answer model, or one fitted on the lake's call history before the campaign."""
    from callwise.timing import fit_from_lake, load_answer_model

    if campaign.answer_model is not None:
        return load_answer_model(campaign.answer_model)
    return fit_from_lake(lake, campaign.cutoff)


def _plan_inputs(
    lake: Lake,
    campaign: Campaign,
    policy: Policy,
    product: dict[str, Any],
    slots: Slots,
    worth: pd.DataFrame,
    answer_model: AnswerScorer,
    bank_timezone: str,
) -> tuple[Workforce, pd.DataFrame, np.ndarray]:
    if not lake.has("agents"):
        raise ListError("lists.no_agents_table")
    agents = check_teams(lake.table("agents").to_pandas(), campaign)
    plan_input = worth.copy()
    customers = lake.table("customers")
    if "language" in customers.columns:
        languages = customers.select("customer_id", "language").to_pandas().set_index("customer_id")["language"]
        plan_input["language"] = languages.reindex(plan_input["customer_id"]).fillna(DEFAULT_LANGUAGE).to_numpy()
    needed = sorted(plan_input["language"].unique()) if "language" in plan_input else [DEFAULT_LANGUAGE]
    try:
        force = workforce(agents, slots, product.get("category"), needed, campaign.agent_share)
    except ScheduleInputError as exc:
        raise ListError.of(exc) from None
    if force.capacity.sum() <= 0:
        teams = ", ".join(campaign.teams) if campaign.teams else msg("lists.refused.all_teams")
        raise ListError(
            "lists.refused.nobody_on_shift",
            product=campaign.product_id,
            category=str(product.get("category")),
            teams=teams,
            first=slots.days[0].isoformat() if len(slots.days) else "-",
            last=slots.days[-1].isoformat() if len(slots.days) else "-",
            start=f"{campaign.first_hour:02d}:00",
            end=f"{campaign.last_hour:02d}:00",
        )
    p_answer = answer_matrix(plan_input, answer_model, policy, slots, bank_timezone)
    return force, plan_input, p_answer


def _listed(
    kept: pd.DataFrame,
    worth: pd.DataFrame,
    plan: CallPlan,
    model: ResponseScorer | UpliftScorer,
    X: pd.DataFrame,
    campaign: Campaign,
    bank_timezone: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The calls that may leave, the called customers (masked phones, reasons in words) and the reasons' codes."""
    called_ids = pd.unique(kept["customer_id"])
    listed = worth[worth["customer_id"].isin(called_ids)]
    per_customer = plan.customers.set_index("customer_id")
    first = kept.sort_values(["customer_id", "call_at"], kind="stable").drop_duplicates("customer_id")
    first = first.set_index("customer_id")
    attempts = kept.groupby("customer_id").size()
    ids = listed["customer_id"].to_numpy()
    listed = pd.DataFrame(
        {
            "rank": np.arange(1, len(listed) + 1),
            "customer_id": ids,
            "phone_masked": listed["phone_masked"].to_numpy(),
            "score": listed["score"].to_numpy(),
            **({"uplift": listed["uplift"].to_numpy()} if "uplift" in listed else {}),
            "expected_value": listed["expected_value"].to_numpy(),
            "score_decile": listed["score_decile"].to_numpy(),
            "arm": listed["arm"].to_numpy(),
            "first_call_at": first["call_at"].reindex(ids).to_numpy(),
            "agent_id": first["agent_id"].reindex(ids).to_numpy(),
            "attempts_planned": attempts.reindex(ids).to_numpy(),
            "p_answered": per_customer["p_answered"].reindex(ids).to_numpy(),
        }
    )
    reasons, codes = _reasons(listed["customer_id"], model, X, campaign, worth)
    listed = pd.concat([listed, reasons], axis=1)
    by_id = worth.set_index("customer_id")
    arm = by_id["arm"]
    hint = listed.set_index("customer_id")["reason_1"]
    local = local_calls(kept["call_at"], by_id["timezone"].reindex(kept["customer_id"]).to_numpy(), bank_timezone)
    calls = kept.assign(
        local_start=local["local_start"].to_numpy(),
        product_id=campaign.product_id,
        arm=arm.reindex(kept["customer_id"]).to_numpy(),
        script_hint=hint.reindex(kept["customer_id"]).to_numpy(),
    ).drop(columns=[PHONE_KEY])
    return calls.reset_index(drop=True), listed, codes


def _reasons(
    ids: pd.Series, model: ResponseScorer | UpliftScorer, X: pd.DataFrame, campaign: Campaign, worth: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top reasons for each listed customer: in words (campaign language), and as feature names and values.

    The names and values let a report word the same reasons in its own language. Both are empty for the
    customers ranked without profile models.
    """
    columns = [f"reason_{i}" for i in range(1, REASONS_ON_LIST + 1)]
    out = pd.DataFrame("", index=range(len(ids)), columns=columns, dtype="str")
    codes = pd.DataFrame(None, index=range(len(ids)), columns=[*columns, *_VALUE_COLUMNS], dtype=object)
    personal = ~worth.set_index("customer_id")["non_personalised"].reindex(ids.to_numpy()).to_numpy(bool)
    if not personal.any():
        return out, codes
    X_listed = X.loc[ids.to_numpy()[personal]].reset_index(drop=True)
    explained = model.explain(X_listed, top=REASONS_ON_LIST)
    rows = np.flatnonzero(personal)
    for i, column in enumerate(columns, start=1):
        names, contributions = explained[f"reason_{i}"].to_numpy(), explained[f"contribution_{i}"].to_numpy()
        values = _cells(X_listed, names)
        codes.loc[rows, column] = names
        codes.loc[rows, f"value_{i}"] = pd.Series(values, index=rows, dtype=object)
        # One sentence per listed customer (the list is capacity-sized, not customer-sized).
        out.loc[rows, column] = [
            reason_text(n, v, c, campaign.lang) if isinstance(n, str) else ""
            for n, v, c in zip(names, values, contributions, strict=True)
        ]
    return out, codes


def _cells(X: pd.DataFrame, names: np.ndarray) -> list[Any]:
    """``X.at[r, names[r]]`` for every row ``r`` (``None`` where a row has no name), one column at a time.

    A numeric column hands out the same NumPy scalars ``.at`` does, so the reasons are worded the same.
    """
    out = np.full(len(names), None, dtype=object)
    named = np.array([isinstance(n, str) for n in names], dtype=bool)
    for name in dict.fromkeys(names[named]):
        rows = np.flatnonzero(named & (names == name))
        column = X[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            out[rows] = list(column.to_numpy()[rows])
        else:  # categories, text: as .at gives them
            out[rows] = [column.at[r] for r in rows]
    return list(out)


def _members(worth: pd.DataFrame, plan: CallPlan, listed: pd.DataFrame, lake: Lake, campaign: Campaign) -> pd.DataFrame:
    """The experiment's members: every called customer and every control customer the plan would have called,
    with the fields results are broken down by (product, province, age band on the campaign's date, segment)."""
    planned = plan.customers.set_index("customer_id")["planned"].reindex(worth["customer_id"]).to_numpy(bool)
    called = worth["customer_id"].isin(listed["customer_id"]).to_numpy()
    control = (worth["group"] == "control").to_numpy() & planned
    members = worth[called | control]
    ids = members["customer_id"].to_numpy()
    traits = _traits(lake, ids, campaign).reindex(ids)
    traits = traits.astype(object).where(traits.notna(), None)  # a customer or a field not found: None
    return (
        pd.DataFrame(
            {
                "customer_id": ids,
                "group": members["group"].to_numpy(),
                "arm": members["arm"].to_numpy(),
                "score": members["score"].to_numpy(),
                "score_decile": members["score_decile"].to_numpy(),
                "product_id": campaign.product_id,
                **{name: traits[name].to_numpy() for name in TRAIT_COLUMNS},
            }
        )
        .sort_values("customer_id", kind="stable")
        .reset_index(drop=True)
    )


def _traits(lake: Lake, ids: np.ndarray, campaign: Campaign) -> pd.DataFrame:
    """Province, age band and segment of the customers ``ids``, by customer id (one query on the customers)."""
    wanted = ibis.memtable(pa.table({"customer_id": pa.array(ids, pa.string())}))
    traits = member_traits(lake.table("customers"), campaign.date)
    found: pd.DataFrame = traits.semi_join(wanted, "customer_id").to_pandas()
    return found.drop_duplicates("customer_id").set_index("customer_id")


def _excluded(
    verdicts: CustomerVerdicts,
    ranked: pd.DataFrame,
    worth: pd.DataFrame,
    plan: CallPlan,
    listed: pd.DataFrame,
    refused: pd.DataFrame,
) -> pd.DataFrame:
    """Everyone not called, with the primary reason and all reasons."""
    by_policy = pd.DataFrame(
        {
            "customer_id": verdicts.frame["customer_id"],
            "reason": verdicts.primary,
            "reasons": verdicts.reasons,
            "expected_value": np.nan,
        }
    )[verdicts.primary.notna().to_numpy()]
    reason = pd.Series(None, index=ranked["customer_id"].to_numpy(), dtype=object)
    in_worth = reason.index.isin(worth["customer_id"])
    reason[~in_worth] = "not_worth_calling"
    if "uplift_high" in ranked:  # a call would more likely put them off than win them
        reason[~in_worth & (ranked["uplift_high"].to_numpy() < 0)] = "negative_uplift"
    per_customer = plan.customers.set_index("customer_id")
    planned = per_customer["planned"].reindex(reason.index, fill_value=False).to_numpy(bool)
    called = per_customer["called"].reindex(reason.index, fill_value=False).to_numpy(bool)
    control = (worth.set_index("customer_id")["group"].reindex(reason.index) == "control").to_numpy()
    # Not planned, or planned but trimmed back to the real capacity once the control group is held out.
    reason[in_worth & ~(planned & (called | control))] = "below_capacity"
    reason[in_worth & planned & control] = "control_group"
    # Worth calling, but every day left to their number is taken (by a customer sharing it, or calls on record).
    limited = per_customer["number_limited"].reindex(reason.index, fill_value=False).to_numpy(bool)
    reason[in_worth & ~planned & limited] = "phone_daily_limit"
    first_refusal = refused.sort_values(["customer_id", "call_at"], kind="stable").drop_duplicates("customer_id")
    gated = in_worth & called & ~reason.index.isin(listed["customer_id"])
    reason[gated] = first_refusal.set_index("customer_id")["reason"].reindex(reason.index[gated]).to_numpy()
    by_rank = pd.DataFrame(
        {
            "customer_id": reason.index,
            "reason": reason.to_numpy(),
            "reasons": reason.to_numpy(),
            "expected_value": ranked["expected_value"].to_numpy(),
        }
    )[reason.notna().to_numpy()]
    out = pd.concat([by_policy, by_rank], ignore_index=True)
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _summary(
    campaign: Campaign,
    product: dict[str, Any],
    policy: Policy,
    verdicts: CustomerVerdicts,
    ranked: pd.DataFrame,
    worth: pd.DataFrame,
    plan: CallPlan,
    listed: pd.DataFrame,
    excluded: pd.DataFrame,
    checked: GateResult,
    model: ResponseScorer | UpliftScorer,
) -> ListSummary:
    funnel = verdicts.funnel()
    remaining = funnel[-1]["remaining"]
    counts = excluded["reason"].value_counts()
    gate_codes = sorted(set(excluded["reason"]) - {s["step"] for s in funnel} - set(RANKING_REASONS))
    ranking_steps = RANKING_REASONS if campaign.ranking == "uplift" else RANKING_REASONS[1:]
    for step in (*ranking_steps, *gate_codes):
        removed = int(counts.get(step, 0))
        remaining -= removed
        funnel.append({"step": step, "removed": removed, "remaining": remaining})
    if remaining != len(listed):  # every customer is listed or has a reason: anything else is a bug, not input
        raise RuntimeError(f"the list's funnel does not add up: {remaining} remain but {len(listed)} are listed")
    members = plan.customers.set_index("customer_id")
    planned = worth[members["planned"].reindex(worth["customer_id"]).to_numpy(bool)]
    control = int((planned["group"] == "control").sum())
    base_rate = float(planned["score"].mean()) if len(planned) else 0.0
    measured = measurability(len(planned), control, base_rate, campaign.lift_to_detect, campaign.alpha, campaign.power)
    return {
        "campaign_id": campaign.campaign_id,
        "product_id": campaign.product_id,
        "product_category": product.get("category"),
        "date": campaign.date.isoformat(),
        "days": [day["date"] for day in plan.summary["days"]],
        "capacity": campaign.capacity,
        "cost_per_call": campaign.cost_per_call,
        "value_per_conversion": float(product["value_per_conversion"]),
        "customers": len(verdicts.frame),
        "eligible": len(ranked),
        "listed": len(listed),
        "calls": len(checked.kept),
        "funnel": funnel,
        "expected_conversions": round(float(listed["score"].sum()), 6),
        "expected_value": round(float(listed["expected_value"].sum()), 2),
        "model": getattr(model, "name_", type(model).__name__),
        "ranking": campaign.ranking,
        # What the call adds, summed over the listed (ranked by uplift): conversions on the list − held out.
        "expected_incremental_conversions": (round(float(listed["uplift"].sum()), 6) if "uplift" in listed else None),
        "policy": policy.audit(),
        "experiment": {
            "seed": campaign_seed(campaign.campaign_id, campaign.seed),
            "control_share": campaign.control_share,
            "arms": campaign.arms or {},
            "treatment_called": len(listed),
            "control_held_out": control,
            **measured,
        },
        "plan": plan.summary,
        "gate": checked.counts(),
    }
