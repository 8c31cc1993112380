"""The campaign page: how its list was built, how far the calls got, what they earned against control, by arm and
by score decile, when they were planned against capacity, and its issued lists with the dialer downloads.

The delivery numbers are aggregate SQL over the ops DB on every request; the results against control come from
the cached snapshot (decision 0032). The live fragment (tiles, delivery funnel, the snapshot's freshness) is
polled every 10 s. The dialer download is the API's: ``export_for_dialer``, ``pii:read``, audited the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from callwise.board import campaign as data
from callwise.i18n.errors import say
from callwise.ops.db import transaction
from callwise.ops.dialer_export import DIALER_FORMATS, ListNotFound, export_for_dialer
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.pages.campaign_view import CampaignView, full_view, live_view
from callwise.web.ui.parts import export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, form_for, viewer_for

PAGE = Page(
    "campaign", "/board/campaigns/{campaign_id}", "metrics:read", example="/board/campaigns/{campaign_id}", nav=False
)
router = APIRouter()
PATH = "/board/campaigns/{campaign_id}"
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vicidial": "text/csv; charset=utf-8",
}

Reader = Annotated[Viewer, viewer_for("metrics:read")]


def _head(session: Session, campaign_id: str) -> data.CampaignHead:
    head = data.campaign_head(session, campaign_id)
    if head is None:
        raise BoardError(404, "board.campaign.not_found", campaign_id=campaign_id)
    return head


def _context(view: CampaignView, viewer: Viewer) -> dict[str, Any]:
    cid = view.head.campaign_id
    return {
        "page_name": "campaign",
        "view": view,
        "head": view.head,
        "export_base": f"/board/campaigns/{cid}",
        "live_url": f"/board/campaigns/{cid}/live",
        "may_download": viewer.can("pii:read"),
        "formats": DIALER_FORMATS,
        "say": lambda key, values: say(key, viewer.lang, **values),
    }


@router.get(PATH, response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str, viewer: Reader, svc: ServicesDep) -> HTMLResponse:
    with svc.factory() as session:
        view = full_view(session, svc, _head(session, campaign_id), viewer.lang)
    return render(request, viewer, "pages/campaign.html.j2", **_context(view, viewer))


@router.get(PATH + "/live", response_class=HTMLResponse)
def campaign_live(request: Request, campaign_id: str, viewer: Reader, svc: ServicesDep) -> HTMLResponse:
    with svc.factory() as session:
        view = live_view(session, svc, _head(session, campaign_id), viewer.lang)
    return render(request, viewer, "pages/campaign_live.html.j2", **_context(view, viewer))


@router.get(PATH + "/export/{filename}")
def campaign_export(campaign_id: str, filename: str, viewer: Reader, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    with svc.factory() as session:
        view = full_view(session, svc, _head(session, campaign_id), viewer.lang)
    table = view.table(table_id)
    if table is None:
        raise BoardError(404, "board.error.not_found")
    return export_response(table, fmt, viewer.lang, f"{campaign_id}-{table_id}", svc.bank_timezone)


@router.post(PATH + "/lists/{list_id}/dialer")
def campaign_dialer_file(
    request: Request,
    campaign_id: str,
    list_id: int,
    viewer: Annotated[Viewer, form_for("pii:read")],
    svc: ServicesDep,
    format: Annotated[str, Form()] = "csv",
) -> Response:
    """The API's dialer export, from a form: the pending calls with real numbers, audited as ``list.export_dialer``."""
    if format not in DIALER_FORMATS:
        raise BoardError(404, "board.error.not_found")
    suffix = "xlsx" if format == "xlsx" else "csv"
    name = f"list-{list_id}-{format}.{suffix}"
    with tempfile.TemporaryDirectory(prefix="callwise-export-") as scratch:  # 0700, removed with the file
        path = Path(scratch) / name
        try:
            with transaction(svc.factory) as session:
                done = export_for_dialer(
                    session, svc.pii, viewer.principal, list_id, format, path, campaign_id=campaign_id, ip=viewer.ip
                )
        except ListNotFound:
            raise BoardError(404, "board.campaign.no_such_list", list_id=list_id) from None
        content = path.read_bytes()
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Callwise-Rows": str(done.rows),
    }
    return Response(content, media_type=MEDIA[format], headers=headers)
