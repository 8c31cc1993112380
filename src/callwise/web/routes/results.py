"""What a campaign earned against its control group: the results as JSON, or as the report in zh-CN or English."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from callwise.i18n.errors import Term, Translated
from callwise.ops.models import Campaign
from callwise.web.deps import MetricsRead, ServicesDep
from callwise.web.errors import ApiError, documented

router = APIRouter(tags=["results"], responses=documented(401, 403))


@router.get(
    "/campaigns/{campaign_id}/results",
    responses={**documented(404, 409), 200: {"content": {"text/html": {}}}},
    summary="A campaign's results against its control group: lift, incremental value, ROI, harm, breakdowns",
)
def get_results(
    _: MetricsRead,
    campaign_id: str,
    svc: ServicesDep,
    window_days: Annotated[int, Query(ge=1, le=365)] = 30,
    format: Literal["json", "html"] = "json",
    lang: Literal["zh", "en"] = "zh",
) -> Any:
    from callwise.results.campaign import results_for
    from callwise.results.report import render_results

    with svc.factory() as session:
        if session.get(Campaign, campaign_id) is None:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}")
    if svc.lake is None:
        raise ApiError(409, "conflict", what="the service has no lake to measure campaigns in")
    try:
        result = results_for(campaign_id, svc.lake, window_days, ops_engine=svc.engine)
    except Translated as refused:
        if refused.key is None:
            raise
        raise ApiError(409, "unmeasurable", reason=Term(refused.key, tuple(refused.values.items()))) from None
    if format == "html":
        return HTMLResponse(render_results(result, lang))
    return result
