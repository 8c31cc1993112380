"""Build a list: the campaign settings as a form checked live, the build as a background job, then its result.

Every check is :func:`callwise.board.build.check_form` (the campaign file's model and wording); the submit takes
the API's path (``ops.campaigns``) and wakes this process's job worker; the progress fragment is polled until
the job is done and then shows the eligibility funnel and the plan.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callwise.board import build as data
from callwise.clock import utcnow
from callwise.web.deps import ServicesDep, client_ip
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, form_for, viewer_for

PAGE = Page("build", "/board/build", "lists:build")
router = APIRouter(include_in_schema=False)
Builder = Annotated[Viewer, viewer_for(PAGE.permission)]
Poster = Annotated[Viewer, form_for(PAGE.permission)]

# How each field is typed into the form: an input type, or "product"/"lang" for a choice.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("campaign", ("campaign_id", "name", "product_id")),
    ("calling", ("date", "days", "first_hour", "last_hour", "capacity", "max_attempts", "teams", "agent_share")),
    ("experiment", ("control_share", "arms", "lift_to_detect", "alpha", "power", "seed")),
    ("costs", ("cost_per_call", "cost_per_minute", "cost_per_sms", "min_expected_value", "lang")),
    ("audience", ("audience",)),
)
KINDS = {"date": "date", "product_id": "product", "lang": "lang", "campaign_id": "text", "name": "text"}
KINDS |= {"arms": "text", "teams": "text", "audience": "audience"}
HINTS = ("capacity", "arms", "teams", "control_share", "audience")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _page(request: Request, viewer: Viewer, svc: Any, checked: data.Checked | None, status: int = 200) -> HTMLResponse:
    values = checked.values if checked is not None else data.defaults(utcnow().date())
    return render(
        request,
        viewer,
        "pages/build.html.j2",
        status=status,
        page_name=PAGE.name,
        sections=SECTIONS,
        kinds=KINDS,
        hints=HINTS,
        values=values,
        messages=checked.messages(viewer.lang) if checked is not None else {},
        products=data.products(svc.lake),
        no_lake=svc.lake is None,
    )


@router.get(PAGE.path)
def build_page(request: Request, viewer: Builder, svc: ServicesDep) -> HTMLResponse:
    return _page(request, viewer, svc, None)


@router.post(f"{PAGE.path}/validate")
async def validate(request: Request, viewer: Poster, svc: ServicesDep) -> HTMLResponse:
    """The HTMX answer to a change: a sentence per field (swapped in beside each) and one line for the whole."""
    checked = data.check_form(await _form(request), svc.lake, svc.factory, viewer.principal.permissions, svc.tags)
    return render(
        request,
        viewer,
        "pages/build_checks.html.j2",
        checked=checked,
        messages=checked.messages(viewer.lang),
        fields=data.FIELDS,
        whole=data.WHOLE,
    )


@router.post(f"{PAGE.path}/audience")
async def audience(request: Request, viewer: Poster, svc: ServicesDep) -> HTMLResponse:
    """The HTMX answer to typing an audience: its live size as of the form's date, or why it cannot be used."""
    form = await _form(request)
    found, problem = data.audience_size(svc.lake, form.get("audience", ""), form.get("date", ""), viewer, svc.tags)
    return render(request, viewer, "pages/build_audience.html.j2", found=found, problem=problem)


@router.post(PAGE.path)
async def submit(request: Request, viewer: Poster, svc: ServicesDep) -> Response:
    checked = data.check_form(await _form(request), svc.lake, svc.factory, viewer.principal.permissions, svc.tags)
    if not checked.ok or svc.lake is None:
        return _page(request, viewer, svc, checked, status=422)
    job_id = data.submit(svc.factory, checked, viewer.principal.name, client_ip(request), svc.lake is not None)
    if svc.jobs is not None:  # this process's worker looks now rather than at its next poll
        svc.jobs.wake()
    return RedirectResponse(f"{PAGE.path}/jobs/{job_id}", status_code=303)


@router.get(f"{PAGE.path}/jobs/{{job_id}}")
def job(request: Request, job_id: str, viewer: Builder, svc: ServicesDep) -> HTMLResponse:
    """The job's page; an HTMX poll gets only its fragment (which stops polling once the job has ended)."""
    view = data.job_view(svc.factory, job_id, viewer.lang)
    fragment = request.headers.get("HX-Request") == "true"
    template = "pages/build_job.html.j2" if fragment else "pages/build_progress.html.j2"
    return render(
        request,
        viewer,
        template,
        status=200 if view is not None else 404,
        page_name=PAGE.name,
        job=view,
        charts=_charts(view, viewer.lang) if view is not None else {},
    )


@router.get(f"{PAGE.path}/jobs/{{job_id}}/export/{{table_id}}.{{fmt}}")
def export(job_id: str, table_id: str, fmt: str, viewer: Builder, svc: ServicesDep) -> Response:
    view = data.job_view(svc.factory, job_id, viewer.lang)
    charts = _charts(view, viewer.lang) if view is not None else {}
    if table_id not in charts:
        raise BoardError(404, "board.error.not_found")
    return export_response(
        charts[table_id].table, fmt, viewer.lang, f"{view.campaign_id if view else ''}-{table_id}", svc.bank_timezone
    )


def _charts(view: data.JobView, lang: str) -> dict[str, Chart]:
    """The funnel and the calls per day against capacity, as charts with their tables; none before the list."""
    from callwise.i18n import t

    if not view.funnel:
        return {}
    funnel = Table(
        "funnel",
        [
            ("label", "board.build.funnel.step"),
            ("step", "board.build.funnel.code"),
            ("removed", "board.build.funnel.removed"),
            ("remaining", "board.build.funnel.remaining"),
        ],
        view.funnel,
    )
    steps = list(reversed(view.funnel))
    funnel_option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 24, "top": 28, "bottom": 8, "containLabel": True},
        "legend": {"top": 0},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": [s["label"] for s in steps]},
        "series": [
            {
                "name": t("board.build.funnel.remaining", lang),
                "type": "bar",
                "stack": "f",
                "data": [s["remaining"] for s in steps],
            },
            {
                "name": t("board.build.funnel.removed", lang),
                "type": "bar",
                "stack": "f",
                "data": [s["removed"] for s in steps],
            },
        ],
    }
    charts = {
        "funnel": Chart(
            "funnel",
            "board.build.funnel.title",
            "board.build.funnel.source",
            funnel_option,
            funnel,
            height=max(240, 28 * len(steps) + 60),
        )
    }
    if view.days:
        days = Table(
            "days",
            [
                ("date", "board.build.days.date"),
                ("expected_calls", "board.build.days.expected_calls"),
                ("capacity", "board.build.days.capacity"),
            ],
            [{k: d.get(k) for k in ("date", "expected_calls", "capacity")} for d in view.days],
        )
        days_option = {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 8, "right": 16, "top": 28, "bottom": 8, "containLabel": True},
            "xAxis": {"type": "category", "data": [d.get("date") for d in view.days]},
            "yAxis": {"type": "value"},
            "series": [
                {
                    "name": t("board.build.days.expected_calls", lang),
                    "type": "bar",
                    "data": [d.get("expected_calls") for d in view.days],
                },
                {
                    "name": t("board.build.days.capacity", lang),
                    "type": "line",
                    "data": [d.get("capacity") for d in view.days],
                },
            ],
        }
        charts["days"] = Chart("days", "board.build.days.title", "board.build.days.source", days_option, days)
    return charts
