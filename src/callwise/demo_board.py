"""The demo's board: campaigns with issued lists, a fortnight of call outcomes drawn from the synthetic bank's
truth, and one demo user per role, so every page of the dashboard has something to show.

Everything goes in through the functions production uses: the campaign row as the API makes it, the list as the
build job issues it (``issue_list`` with its treatment and control members), the outcomes through
``record_outcomes`` with the service's follow-up planner (so DNC requests, complaints, conversions, follow-ups
and any rollup the outcome path keeps are filled as a dialer's outcomes fill them), and the users through
``create_user``. The calls themselves are drawn by :func:`callwise.synth.simulate.simulate_campaign` from the
members' true probabilities and the agents' true skill (``_truth/``), moved onto the days just before ``today``
so the board's default period and the one before it both hold data. The lake is only read, but for the tag
builds of :func:`seed_tags` (the lake table ``tags`` and its quality reports).

Passwords are generated here and returned, never logged or written anywhere: the caller prints them once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.demo import DEMO_ADMIN, new_password
from callwise.lake import Lake
from callwise.ops import audit
from callwise.ops.db import insert_columns, session_factory, table_of, transaction
from callwise.ops.models import CallOutcome, Campaign, Conversion, ListItem, User
from callwise.ops.outcomes import FollowupPlanner, OutcomeIn, record_outcomes
from callwise.security.rbac import Role
from callwise.settings import Settings, get_settings

if TYPE_CHECKING:
    from callwise.lists.build import ListResult
    from callwise.synth.simulate import Simulation
    from callwise.synth.truth import Truth

ACTOR = "demo"
# (days before today the campaign starts, calling days): the last one ends yesterday, the first lies in the
# period before the board's default "last 7 days", so the tiles' comparisons have something to compare with.
SCHEDULE = ((13, 5), (8, 5), (4, 4))
CATEGORIES = ("wealth", "credit_card", "insurance")  # one campaign per category, the first product of each
BATCH = 1000  # outcomes per transaction, the API's batch limit
DEMO_BANK_NAME = "【示例银行】"  # signs the demo's follow-up SMS when the settings name no bank (none go out unsigned)
USERS = {  # role → demo user name; the administrator is the one `serve --demo` always made
    Role.ADMIN: DEMO_ADMIN,
    Role.ANALYST: "demo-analyst",
    Role.SUPERVISOR: "demo-supervisor",
    Role.AGENT: "demo-agent",
    Role.AUDITOR: "demo-auditor",
}
EXTRA_ROLES = {Role.ADMIN: [Role.ANALYST]}  # the administrator also builds lists: what a first look needs


@dataclass(frozen=True)
class DemoCampaign:
    """One seeded campaign: its list and what its calls recorded."""

    campaign_id: str
    product_id: str
    start: date
    days: int
    list_id: int
    treatment: int
    control: int
    outcomes: int
    conversions: int  # on a call, and bought alone (treatment and control)


@dataclass(frozen=True)
class BoardData:
    """What :func:`seed_data` put in the operational database."""

    today: date
    campaigns: tuple[DemoCampaign, ...]
    agents: tuple[str, ...]  # agents with outcomes, most calls first
    teams: tuple[str, ...]  # their teams, most calls first
    customer_id: str  # a treatment member with calls: the customer page's example
    seconds: float

    @property
    def outcomes(self) -> int:
        return sum(c.outcomes for c in self.campaigns)

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        return tuple(c.campaign_id for c in self.campaigns)


@dataclass(frozen=True)
class DemoUser:
    """A demo login; ``password`` is shown once by the caller and kept nowhere (not in its repr either)."""

    username: str
    role: str
    password: str = field(repr=False)
    agent_id: str | None = None
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoardSeed:
    """A seeded board: its data and its users (the browser test logs in with these)."""

    data: BoardData
    users: tuple[DemoUser, ...]

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        return self.data.campaign_ids

    @property
    def customer_id(self) -> str:
        return self.data.customer_id

    def user(self, role: str) -> DemoUser:
        return next(u for u in self.users if u.role == role)

    @property
    def passwords(self) -> dict[str, str]:
        return {u.username: u.password for u in self.users}


def seed_board(
    engine: Engine,
    lake: Lake,
    bank_dir: Path,
    seed: int = 7,
    *,
    today: date | None = None,
    model: Any = None,
    settings: Settings | None = None,
) -> BoardSeed:
    """Seed a migrated operational database with the demo board and its users, one per role.

    ``lake``: the synthetic bank ingested; ``bank_dir``: its source folder (with ``_truth/``). ``model``: the
    response model the lists are built with (default: one trained on the lake here, a few seconds). ``today``
    defaults to the bank's today; the same seed and today give the same rows.
    """
    settings = settings or get_settings()
    factory = session_factory(engine)
    data = seed_data(factory, lake, bank_dir, seed, today=today, model=model, settings=settings)
    return BoardSeed(data, demo_users(factory, data.teams, data.agents))


def seed_data(
    factory: sessionmaker[Session],
    lake: Lake,
    bank_dir: Path,
    seed: int = 7,
    *,
    today: date | None = None,
    model: Any = None,
    settings: Settings | None = None,
) -> BoardData:
    """Customers synced, then for each campaign of :data:`SCHEDULE`: the campaign, its issued list and its
    simulated calls and purchases. Refuses a database that holds a demo campaign already (``is_seeded``)."""
    from callwise.ops.customers import sync_customers
    from callwise.synth.truth import load_truth
    from callwise.wiring import planner_from_settings, policy_from_settings

    began = time.perf_counter()
    settings = settings or get_settings()
    if not settings.bank_name:
        settings = settings.model_copy(update={"bank_name": DEMO_BANK_NAME})
    zone = ZoneInfo(settings.timezone)
    today = today or utcnow().astimezone(zone).date()
    with factory() as session:
        if is_seeded(session):
            raise ValueError("the operational database holds the demo board already")
    sync_customers(factory, lake)
    model = model if model is not None else _train(lake, seed)
    truth = load_truth(Path(bank_dir) / "_truth")
    planner = planner_from_settings(settings, lake, policy_from_settings(settings))
    capacity = min(max(_customers(lake) // 12, 200), 2_000)
    campaigns = []
    for n, (product_id, (back, days)) in enumerate(zip(demo_products(lake), SCHEDULE, strict=False)):
        start = today - timedelta(days=back)
        spec = _spec(product_id, start, days, capacity, seed + n)
        campaigns.append(
            _seed_campaign(factory, lake, Path(bank_dir), truth, model, spec, planner, settings, today, seed + n)
        )
    with factory() as session:
        agents, teams = busiest(session, lake, [c.campaign_id for c in campaigns])
        customer = _example_customer(session, campaigns[0].campaign_id)
    return BoardData(today, tuple(campaigns), agents, teams, customer, round(time.perf_counter() - began, 2))


def tags_cutoff(lake: Lake, today: date) -> datetime:
    """The demo's tag cutoff: the day after the bank's newest transaction (its data's end), at most today."""
    newest = lake.table("transactions").ts.max().to_pyarrow().as_py() if lake.has("transactions") else None
    end = min(newest.date() + timedelta(days=1), today) if newest is not None else today
    return datetime.combine(end, datetime.min.time())


def seed_tags(lake: Lake, today: date) -> bool:
    """The shipped catalogue's tag table (the customer page's tags, the tag pages), unless the lake has one: built
    twice, 30 days apart, the later as of :func:`tags_cutoff`, so the tag pages show coverage, distributions and a
    change since the last build. True if built. A second or two on the demo's bank."""
    from callwise.tags import build_tags, default_catalogue

    if lake.has("tags"):
        return False
    cutoff, catalogue = tags_cutoff(lake, today), default_catalogue()
    for moment in (cutoff - timedelta(days=30), cutoff):
        build_tags(lake, catalogue, moment)
    return True


def seed_segments(lake: Lake, today: date) -> bool:
    """The segments page's data: segments fitted on the lake twice, 30 days apart, the later as of
    :func:`tags_cutoff` (k chosen by the fit, one bootstrap for its stability: seconds on the demo's bank), so the
    sizes over time have two points; nothing when the lake has segments. True if fitted."""
    from callwise.segments import TABLE, fit_segments

    if lake.has(TABLE):
        return False
    cutoff = tags_cutoff(lake, today)
    for moment in (cutoff - timedelta(days=30), cutoff):
        fit_segments(lake, moment, boots=1)
    return True


def seed_moments(lake: Lake, today: date, builds: int = 7) -> bool:
    """The moments page's data: the shipped triggers' moments built once a day for ``builds`` days, the last as of
    :func:`tags_cutoff`, so the page shows live moments per trigger and their change over the week; nothing when
    the lake has a moments table. True if built. Well under a second a build on the demo's bank."""
    from callwise.moments import TABLE, build_moments, default_triggers

    if lake.has(TABLE):
        return False
    cutoff, triggers = tags_cutoff(lake, today), default_triggers()
    for back in range(builds - 1, -1, -1):
        build_moments(lake, triggers, cutoff - timedelta(days=back), "daily")
    return True


def demo_campaign_ids(session: Session) -> list[str]:
    """The demo's campaigns in the database (made by :data:`ACTOR`), in id order."""
    query = select(Campaign.campaign_id).where(Campaign.created_by == ACTOR).order_by(Campaign.campaign_id)
    return list(session.scalars(query))


def is_seeded(session: Session) -> bool:
    """Whether the demo's campaigns are there (a second start of the demo service keeps them)."""
    return bool(demo_campaign_ids(session))


def demo_products(lake: Lake) -> list[str]:
    """The first product of each of :data:`CATEGORIES` the bank sells, in that order."""
    rows = lake.table("products").select("product_id", "category").to_pyarrow().to_pylist()
    found: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: str(r["product_id"])):
        found.setdefault(row["category"], row["product_id"])
    return [found[c] for c in CATEGORIES if c in found]


def _spec(product_id: str, start: date, days: int, capacity: int, seed: int) -> dict[str, Any]:
    from callwise.lists.campaign import CampaignSettings

    settings = CampaignSettings(
        campaign_id=f"demo-{product_id.lower().replace('_', '-')}-{start:%m%d}",
        name=f"演示 / demo {product_id} {start:%m-%d}",
        product_id=product_id,
        date=start,
        days=days,
        capacity=capacity,
        cost_per_call=5.0,
        cost_per_minute=0.5,
        seed=seed,
    )
    return settings.model_dump(mode="json")


def _seed_campaign(
    factory: sessionmaker[Session],
    lake: Lake,
    bank_dir: Path,
    truth: Truth,
    model: Any,
    spec: dict[str, Any],
    planner: FollowupPlanner,
    settings: Settings,
    today: date,
    seed: int,
) -> DemoCampaign:
    """One campaign from creation to its last simulated call."""
    from callwise.lists.build import build_list
    from callwise.lists.campaign import Campaign as CampaignSpec

    campaign_id = spec["campaign_id"]
    create_campaign(factory, spec)
    result = build_list(CampaignSpec(**spec), lake, model, bank_timezone=settings.timezone)
    list_id = issue(factory, result, settings.timezone)
    sim = simulate(bank_dir, truth, result, seed)
    cutoff = datetime.combine(today, datetime.min.time(), ZoneInfo(settings.timezone))
    outcomes = outcomes_of(sim, items_of(factory, list_id), settings.timezone, cutoff)
    record(factory, outcomes, planner)
    bought = own_purchases(factory, sim, settings.timezone, cutoff)
    groups = result.members["group"].value_counts()
    converted = sum(o.disposition == "converted" for o in outcomes)
    start = date.fromisoformat(spec["date"])
    return DemoCampaign(
        campaign_id,
        spec["product_id"],
        start,
        spec["days"],
        list_id,
        int(groups.get("treatment", 0)),
        int(groups.get("control", 0)),
        len(outcomes),
        converted + bought,
    )


def create_campaign(factory: sessionmaker[Session], spec: dict[str, Any]) -> None:
    """The campaign row as ``POST /campaigns`` makes it, audited."""
    with transaction(factory) as session:
        names = {k: spec[k] for k in ("campaign_id", "name", "product_id")}
        session.add(Campaign(**names, spec=spec, created_by=ACTOR))
        session.flush()
        audit.append(session, ACTOR, "campaign.create", f"campaign:{spec['campaign_id']}", {})


def issue(factory: sessionmaker[Session], result: ListResult, bank_timezone: str) -> int:
    """Built and issued as the build job does it: campaign state, items and members, audited; the list id."""
    from callwise.ops.campaign_state import reach
    from callwise.ops.jobs import _assigned_at
    from callwise.ops.lists import issue_list

    campaign_id = result.summary["campaign_id"]
    with transaction(factory) as session:
        reach(session, campaign_id, "built", ACTOR, "list_built")
        issued = issue_list(
            session,
            campaign_id,
            result.calls,
            result.summary,
            ACTOR,
            None,
            bank_timezone,
            "response:demo",
            members=result.members,
            assigned_at=_assigned_at(result, bank_timezone),
        )
        reach(session, campaign_id, "issued", ACTOR, "list_issued")
        return issued.list_id


def simulate(bank_dir: Path, truth: Truth, result: ListResult, seed: int) -> Simulation:
    """The list's members called over the campaign's days, drawn from the truth (see ``simulate_campaign``)."""
    from callwise.synth.simulate import simulate_campaign

    spec = result.planning.campaign
    members = result.members[["customer_id", "group", "arm", "score"]]
    return simulate_campaign(
        bank_dir,
        spec.product_id,
        members,
        campaign_id=spec.campaign_id,
        start=spec.date,
        days=spec.days,
        attempts=spec.max_attempts,
        window_days=max(spec.days, 14),
        seed=seed,
        truth=truth,
    )


def items_of(factory: sessionmaker[Session], list_id: int) -> pd.DataFrame:
    """The issued list's items: item_id, customer_id, attempt."""
    with factory() as session:
        query = select(ListItem.item_id, ListItem.customer_id, ListItem.attempt).where(ListItem.list_id == list_id)
        return pd.DataFrame(session.execute(query).all(), columns=["item_id", "customer_id", "attempt"])


def outcomes_of(sim: Simulation, items: pd.DataFrame, bank_timezone: str, cutoff: datetime) -> list[OutcomeIn]:
    """The simulated calls before ``cutoff`` as a dialer reports them: the item dialled (the customer's n-th call
    is their n-th attempt's item), the agent, disposition, duration and an aware time; a callback asked for a day
    later at the same hour."""
    calls = sim.contacts.copy()
    calls["ts"] = pd.to_datetime(calls["ts"]).dt.tz_localize(bank_timezone)
    calls = calls[calls["ts"] < pd.Timestamp(cutoff)]
    calls["attempt"] = calls.groupby("customer_id").cumcount() + 1
    calls = calls.merge(items, on=["customer_id", "attempt"], how="left")
    times: list[datetime] = list(calls["ts"].dt.to_pydatetime())
    item_ids: list[Any] = calls["item_id"].astype("Int64").astype(object).where(calls["item_id"].notna(), None).tolist()
    text = {name: calls[name].astype(str).tolist() for name in ("contact_id", "customer_id", "disposition")}
    text.update({name: calls[name].astype(str).tolist() for name in ("campaign_id", "product_id", "agent_id")})
    durations: list[float] = calls["duration_s"].astype(float).tolist()
    return [
        OutcomeIn(
            idempotency_key=f"demo:{text['contact_id'][i]}",
            customer_id=text["customer_id"][i],
            disposition=text["disposition"][i],
            ts=ts,
            campaign_id=text["campaign_id"][i],
            item_id=None if item_ids[i] is None else int(item_ids[i]),
            product_id=text["product_id"][i],
            agent_id=text["agent_id"][i],
            duration_s=durations[i],
            callback_at=ts + timedelta(days=1) if text["disposition"][i] == "callback_requested" else None,
        )
        for i, ts in enumerate(times)
    ]


def record(factory: sessionmaker[Session], outcomes: Sequence[OutcomeIn], planner: FollowupPlanner) -> None:
    """Through ``record_outcomes`` as the API takes them: a batch per transaction, follow-ups planned."""
    for start in range(0, len(outcomes), BATCH):
        with transaction(factory) as session:
            results = record_outcomes(session, outcomes[start : start + BATCH], ACTOR, "demo", planner)
        refused = [r for r in results if r.status == "rejected"]
        if refused:
            raise ValueError(f"a simulated outcome was refused: {refused[0].code}")


def own_purchases(factory: sessionmaker[Session], sim: Simulation, bank_timezone: str, cutoff: datetime) -> int:
    """Purchases made without the call (treatment and control alike) before ``cutoff``, as the bank's sales feed
    reports them: conversions with no outcome and no campaign. No library function writes these (a bank's feed
    reaches the lake through ingest, and the lake is only read here), so they go in the table the results read
    beside the lake's."""
    on_call = sim.contacts.loc[sim.contacts["disposition"] == "converted", ["customer_id", "ts"]]
    sales = sim.conversions.merge(on_call.assign(_call=True), on=["customer_id", "ts"], how="left")
    sales = sales[sales["_call"].isna()]
    aware = pd.to_datetime(sales["ts"]).dt.tz_localize(bank_timezone)
    keep = (aware < pd.Timestamp(cutoff)).to_numpy()
    sales, aware = sales[keep], aware[keep]
    if not len(sales):
        return 0
    columns: dict[str, list[Any]] = {
        "outcome_id": [None] * len(sales),
        "customer_id": sales["customer_id"].astype(str).tolist(),
        "product_id": sales["product_id"].astype(str).tolist(),
        "campaign_id": [None] * len(sales),
        "ts": aware.dt.tz_convert("UTC").dt.to_pydatetime().tolist(),
    }
    with transaction(factory) as session:
        insert_columns(session, table_of(Conversion), columns)
    return len(sales)


def busiest(session: Session, lake: Lake, campaign_ids: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The agents with outcomes in these campaigns, most calls first, and their teams in the same order."""
    query = (
        select(CallOutcome.agent_id, func.count())
        .where(CallOutcome.campaign_id.in_(campaign_ids), CallOutcome.agent_id.is_not(None))
        .group_by(CallOutcome.agent_id)
    )
    counts = sorted(((str(a), int(n)) for a, n in session.execute(query)), key=lambda x: (-x[1], x[0]))
    rows = lake.table("agents").select("agent_id", "team").to_pyarrow().to_pylist()
    team_of = {str(r["agent_id"]): str(r["team"]) for r in rows if r["team"] is not None}
    calls: dict[str, int] = {}
    for agent, n in counts:
        team = team_of.get(agent)
        if team is not None:
            calls[team] = calls.get(team, 0) + n
    teams = sorted(calls, key=lambda team: (-calls[team], team))
    return tuple(a for a, _ in counts), tuple(teams)


def _example_customer(session: Session, campaign_id: str) -> str:
    """The customer with the most calls in the campaign (ties: the smallest id)."""
    query = (
        select(CallOutcome.customer_id)
        .where(CallOutcome.campaign_id == campaign_id)
        .group_by(CallOutcome.customer_id)
        .order_by(func.count().desc(), CallOutcome.customer_id)
        .limit(1)
    )
    return str(session.scalar(query))


def demo_users(factory: sessionmaker[Session], teams: Sequence[str], agents: Sequence[str]) -> tuple[DemoUser, ...]:
    """One user per role, each with a new random password (made, or the password replaced); the supervisor runs
    the two busiest ``teams``, the agent user is the busiest of ``agents``. Returns them with their passwords."""
    from callwise.security.passwords import hash_password

    scope = {Role.SUPERVISOR: (None, tuple(teams[:2])), Role.AGENT: (agents[0] if agents else None, ())}
    made = []
    with transaction(factory) as session:
        for role, name in USERS.items():
            password = new_password()
            agent_id, own_teams = scope.get(role, (None, ()))
            user = session.scalars(select(User).where(User.username == name)).first()
            if user is None:
                from callwise.ops.users import create_user

                user = create_user(session, name, password, [role, *EXTRA_ROLES.get(role, [])], ACTOR, None)
            else:
                user.password_hash = hash_password(password)
                audit.append(session, ACTOR, "user.password_reset", f"user:{name}", {})
            if (user.agent_id, user.teams) != (agent_id, " ".join(own_teams) or None):
                user.agent_id, user.teams = agent_id, " ".join(own_teams) or None
                detail = {"agent_id": agent_id, "teams": list(own_teams)}
                audit.append(session, ACTOR, "user.scope", f"user:{name}", detail)
            made.append(DemoUser(name, str(role), password, agent_id, own_teams))
    return tuple(made)


def _train(lake: Lake, seed: int) -> Any:
    from callwise.pipeline import train_from_lake

    model, _ = train_from_lake(lake, "lightgbm", seed=seed)
    return model


def _customers(lake: Lake) -> int:
    return int(lake.table("customers").count().to_pyarrow().as_py())


UPLIFT_NAME, UPLIFT_VERSION = "uplift", "demo"


def seed_uplift(
    factory: sessionmaker[Session], lake: Lake, directory: Path, seed: int = 7, *, settings: Settings | None = None
) -> tuple[int, int]:
    """The uplift page's data: an uplift model trained on the lake's past campaigns (their treatment and control
    members), saved in ``directory``, registered and promoted as ``uplift``/``demo`` (audited as the API does), and
    one list ranked by it issued for the demo's first product, with its ``negative_uplift`` exclusions.
    Returns (model id, list id)."""
    from callwise.lists.build import build_list
    from callwise.lists.campaign import Campaign as CampaignSpec
    from callwise.ops import registry
    from callwise.ops.models import ModelVersion
    from callwise.pipeline import train_uplift_from_lake
    from callwise.uplift.persist import CARD as UPLIFT_CARD

    settings = settings or get_settings()
    model, _ = train_uplift_from_lake(lake, "auto", directory, seed=seed)
    card = json.loads((Path(directory) / UPLIFT_CARD).read_text(encoding="utf-8"))
    with transaction(factory) as session:
        row = ModelVersion(name=UPLIFT_NAME, version=UPLIFT_VERSION, path=str(Path(directory).resolve()), card=card)
        session.add(row)
        session.flush()
        audit.append(session, ACTOR, "model.register", f"model:{UPLIFT_NAME}:{UPLIFT_VERSION}", {})
        registry.promote(session, row.model_id, ACTOR, None)
        model_id = row.model_id
    today = utcnow().astimezone(ZoneInfo(settings.timezone)).date()
    capacity = min(max(_customers(lake) // 12, 200), 2_000)
    spec = _spec(demo_products(lake)[0], today, 3, capacity, seed) | {"ranking": "uplift"}
    spec["campaign_id"] = spec["campaign_id"].replace("demo-", "demo-uplift-", 1)
    create_campaign(factory, spec)
    result = build_list(CampaignSpec(**spec), lake, model, bank_timezone=settings.timezone)
    return model_id, issue(factory, result, settings.timezone)
