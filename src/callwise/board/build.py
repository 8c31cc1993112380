"""Building a list from the dashboard: the form's text checked as the campaign file and the API check it, then
the campaign created and its build queued exactly as ``POST /campaigns`` and ``POST …/builds`` do.

The form speaks in strings; :func:`check_form` turns them into :class:`CampaignSettings` through the same pydantic
model (and the configuration loader's wording of its errors, in zh and en), then asks the lake what the API
would only learn when the job runs: does the product exist, do the teams. A campaign id already there is reused
only when its stored settings are the form's, so a build never runs on settings the person did not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from callwise.configfile import reason_for
from callwise.i18n import catalog, t
from callwise.i18n.errors import Term
from callwise.i18n.message import msg
from callwise.lake import Lake
from callwise.lists.build import ListError, check_teams, load_product
from callwise.lists.campaign import Campaign as CampaignSpec
from callwise.lists.campaign import CampaignSettings
from callwise.ops.campaigns import create_campaign, queue_build
from callwise.ops.db import transaction
from callwise.ops.models import Campaign, IssuedList, Job

if TYPE_CHECKING:
    from callwise.tags import Catalogue

# The form's fields, in the order shown; each is a key of the campaign file (CampaignSettings).
FIELDS: tuple[str, ...] = (
    "campaign_id",
    "name",
    "product_id",
    "date",
    "days",
    "first_hour",
    "last_hour",
    "capacity",
    "max_attempts",
    "control_share",
    "arms",
    "teams",
    "agent_share",
    "cost_per_call",
    "cost_per_minute",
    "cost_per_sms",
    "min_expected_value",
    "lift_to_detect",
    "alpha",
    "power",
    "seed",
    "lang",
    "audience",
)
WHOLE = "_form"  # the key of a problem with the settings as a whole (first hour after last hour, …)
MAX_TEXT = 1000  # longer input is cut before it is checked: no key needs more, and a refusal quotes 60 at most
STAGES = ("queued", "policy_state", "model", "build", "issue", "record", "done", "requeued", "released", "failed")


@dataclass(frozen=True)
class Checked:
    """The form checked: the settings when they can be built, else a reason per field."""

    values: dict[str, str]  # the form as typed (cut to MAX_TEXT), to fill it in again
    settings: CampaignSettings | None
    errors: dict[str, Term] = field(default_factory=dict)
    exists: bool = False  # the campaign id is there already, with these very settings

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.errors

    def messages(self, lang: str) -> dict[str, str]:
        """Each field's problem as one sentence in ``lang``."""
        return {name: term.say(lang) for name, term in self.errors.items()}


def defaults(today: date) -> dict[str, str]:
    """The form's first values: the campaign file's defaults, calling from tomorrow."""
    values = {}
    for name in FIELDS:
        info = CampaignSettings.model_fields[name]
        value = None if info.is_required() else info.default
        values[name] = "" if value is None else str(value)
    values["date"] = date.fromordinal(today.toordinal() + 1).isoformat()
    return values


def parse_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Term], dict[str, str]]:
    """The campaign file's data from the form's strings; an empty field keeps the file's default.

    ``arms`` is written ``A=0.5, B=0.5`` (or ``A:0.5``), ``teams`` as names separated by commas.
    Returns the data, the fields that could not even be read, and the values as typed.
    """
    typed = {name: str(form.get(name, ""))[:MAX_TEXT] for name in FIELDS}
    data: dict[str, Any] = {}
    errors: dict[str, Term] = {}
    for name, raw in typed.items():
        text = raw.strip()
        if not text:
            continue
        if name == "arms":
            arms = _arms(text)
            if arms is None:
                errors[name] = msg("board.build.arms_format", value=text[:60])
            else:
                data[name] = arms
        elif name == "teams":
            data[name] = [team.strip() for team in text.replace("，", ",").split(",") if team.strip()]
        else:
            data[name] = text
    return data, errors, typed


def _arms(text: str) -> dict[str, Any] | None:
    """``A=0.5, B=0.5`` → ``{"A": "0.5", "B": "0.5"}`` (the model reads the numbers); None when not of that shape."""
    arms: dict[str, Any] = {}
    for part in text.replace("，", ",").split(","):
        name, sep, share = part.replace(":", "=").partition("=")
        if not sep or not name.strip() or not share.strip() or name.strip() in arms:
            return None
        arms[name.strip()] = share.strip()
    return arms


def check_form(
    form: Mapping[str, str],
    lake: Lake | None,
    factory: sessionmaker[Session],
    permissions: Iterable[str] | None = None,
    catalogue: Catalogue | None = None,
) -> Checked:
    """The form checked as the API checks a campaign, plus what the lake and the ops DB can tell at once.

    The audience is checked against ``catalogue`` (default: the shipped one) with the viewer's ``permissions``."""
    data, errors, typed = parse_form(form)
    settings: CampaignSettings | None = None
    try:
        settings = CampaignSettings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc", ())
            name = str(loc[0]) if loc and isinstance(loc[0], str) and loc[0] in FIELDS else WHOLE
            errors.setdefault(name, reason_for(error, CampaignSettings))
    if settings is None or errors:
        if lake is not None and "product_id" in data and "product_id" not in errors:
            product = _product_problem(lake, str(data["product_id"]))
            if product is not None:
                errors["product_id"] = product
        return Checked(typed, None, errors)
    if lake is not None:
        errors.update(_lake_problems(lake, settings))
    audience = _audience_problem(settings, permissions, catalogue)
    if audience is not None:
        errors["audience"] = audience
    exists = False
    with factory() as session:
        row = session.get(Campaign, settings.campaign_id)
        if row is not None:
            if row.status == "closed":
                errors["campaign_id"] = msg("board.build.closed", campaign_id=settings.campaign_id)
            elif dict(row.spec) != settings.model_dump(mode="json"):
                errors["campaign_id"] = msg("board.build.exists_differs", campaign_id=settings.campaign_id)
            else:
                exists = True
    return Checked(typed, settings, errors, exists)


def _audience_problem(
    settings: CampaignSettings, permissions: Iterable[str] | None, catalogue: Catalogue | None
) -> Term | None:
    from callwise.lists.campaign import check_campaign_audience
    from callwise.tags import AudienceError

    try:
        check_campaign_audience(settings, permissions, catalogue)
    except AudienceError as refused:
        return Term(str(refused.key), tuple(refused.values.items()))
    return None


def audience_size(
    lake: Lake | None, expression: str, day: str, viewer: Any, catalogue: Catalogue | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The form's audience: its size as of the form's date (else the tag table's cutoff, else today), or the
    sentence why not, in the viewer's language; (None, None) when the field is empty."""
    from callwise.clock import today_in
    from callwise.i18n.errors import message
    from callwise.lists.audience import audience_size as size_of
    from callwise.schema.contract import DEFAULT_TIMEZONE
    from callwise.tags import AudienceError, TagTableError
    from callwise.tags.audience import tags_cutoff
    from callwise.tags.catalogue import SENSITIVE_PERMISSION

    text = expression.strip()[:MAX_TEXT]
    if not text or lake is None:
        return None, None
    if not viewer.can("tags:read"):
        return None, t("board.build.audience.needs", viewer.lang, permission="tags:read")
    try:
        cutoff = datetime.combine(date.fromisoformat(day.strip()), time.min)
    except ValueError:
        cutoff = tags_cutoff(lake) or datetime.combine(today_in(DEFAULT_TIMEZONE), time.min)
    try:
        return size_of(lake, text, cutoff, viewer.principal.permissions, catalogue), None
    except (AudienceError, TagTableError) as refused:
        if isinstance(refused, AudienceError) and refused.reason.key == "tags.audience.sensitive":
            return None, t("board.build.audience.needs", viewer.lang, permission=SENSITIVE_PERMISSION)
        return None, message(refused, viewer.lang)


def _product_problem(lake: Lake, product_id: str) -> Term | None:
    try:
        load_product(lake, product_id)
    except ListError as refused:
        return _term(refused)
    return None


def _lake_problems(lake: Lake, settings: CampaignSettings) -> dict[str, Term]:
    """What the build would refuse about the lake's products and agents, said now rather than when the job fails."""
    problems: dict[str, Term] = {}
    product = _product_problem(lake, settings.product_id)
    if product is not None:
        problems["product_id"] = product
    if settings.teams is not None and lake.has("agents"):
        try:
            check_teams(lake.table("agents").to_pandas(), CampaignSpec(**dict(settings)))
        except ListError as refused:
            problems["teams"] = _term(refused)
    return problems


def _term(error: ListError) -> Term:
    return (
        Term(error.key, tuple(error.values.items()))
        if error.key is not None
        else msg("board.build.plain", text=str(error))
    )


def products(lake: Lake | None) -> list[dict[str, str]]:
    """The lake's products for the form's choice: id, name and category."""
    if lake is None or not lake.has("products"):
        return []
    table = lake.table("products")
    columns = [c for c in ("product_id", "name", "category") if c in table.columns]
    rows = table.select(*columns).order_by("product_id").to_pyarrow().to_pylist()
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def submit(factory: sessionmaker[Session], checked: Checked, actor: str, ip: str | None, has_lake: bool) -> str:
    """Create the campaign (unless it is there with these settings) and queue its build; the job's id.

    The same two library calls as ``POST /campaigns`` and ``POST /campaigns/{id}/builds``, in one transaction,
    so a campaign is never left without the build that was asked for.
    """
    if not checked.ok or checked.settings is None:
        raise ValueError("only a form that checked out can be submitted")
    with transaction(factory) as session:
        if not checked.exists:
            create_campaign(session, checked.settings, actor, ip)
        job = queue_build(session, checked.settings.campaign_id, actor, has_lake)
        return job.job_id


@dataclass(frozen=True)
class JobView:
    """A build job as the progress fragment shows it; ``funnel`` and ``plan`` once its list is issued."""

    job_id: str
    campaign_id: str | None
    status: str  # queued, running, done, failed
    progress: float
    stage: str
    error: str | None
    list_id: int | None = None
    funnel: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    days: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def job_view(factory: sessionmaker[Session], job_id: str, lang: str) -> JobView | None:
    """The list-build job ``job_id`` (None when there is none), its error in ``lang``, its list's funnel and plan."""
    with factory() as session:
        job = session.get(Job, job_id[:64])
        if job is None or job.kind != "list_build":
            return None
        failed = job.status == "failed"
        stage = job.stage if job.stage in STAGES else ("queued" if job.status == "queued" else "build")
        error = ((job.error_zh if lang == "zh" else job.error) or job.error) if failed else None
        view = JobView(
            job.job_id, job.campaign_id, job.status, float(job.progress or 0.0), "failed" if failed else stage, error
        )
        result = job.result or {}
        issued = session.get(IssuedList, result["list_id"]) if job.status == "done" and "list_id" in result else None
        if issued is None:
            return view
        summary = dict(issued.summary or {})
        return replace(
            view,
            list_id=issued.list_id,
            funnel=funnel_rows(summary.get("funnel") or [], lang),
            plan=plan_figures(summary),
            days=list((summary.get("plan") or {}).get("days") or []),
        )


def funnel_rows(funnel: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The eligibility funnel: each step's reason code, its words in ``lang``, removed and remaining."""
    known = catalog()
    rows = []
    for step in funnel:
        code = str(step.get("step"))
        key = f"exclusion.{code}"
        label = t(key, lang) if key in known else code
        rows.append({"step": code, "label": label, "removed": step.get("removed"), "remaining": step.get("remaining")})
    return rows


def plan_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The plan in a few numbers: who is called, who is held out, arms, days, capacity and its use."""
    experiment = summary.get("experiment") or {}
    plan = summary.get("plan") or {}
    days = summary.get("days") or []
    return {
        "customers": summary.get("customers"),
        "eligible": summary.get("eligible"),
        "listed": summary.get("listed"),
        "calls": summary.get("calls"),
        "treatment": experiment.get("treatment_called"),
        "control": experiment.get("control_held_out"),
        "control_share": experiment.get("control_share"),
        "arms": ", ".join(f"{k} {v:g}" for k, v in (experiment.get("arms") or {}).items()),
        "lift_measurable": experiment.get("lift_measurable"),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "n_days": len(days),
        "capacity": summary.get("capacity"),
        "capacity_calls": plan.get("capacity_calls"),
        "expected_calls": plan.get("expected_calls"),
        "utilisation": plan.get("utilisation"),
        "agents": plan.get("agents"),
        "expected_conversions": summary.get("expected_conversions"),
        "expected_value": summary.get("expected_value"),
    }
