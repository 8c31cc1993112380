"""Which channels earned the conversions: every attribution method per channel, beside the control group."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from callwise.i18n.errors import Term, Translated
from callwise.web.deps import MetricsRead, ServicesDep
from callwise.web.errors import ApiError, documented

router = APIRouter(tags=["results"], responses=documented(401, 403))


@router.get(
    "/attribution",
    responses=documented(409),
    summary="Multi-touch attribution per channel (first/last/linear, Markov, Shapley, regression) beside the "
    "control group's increment, with warnings where they disagree",
)
def get_attribution(
    _: MetricsRead,
    svc: ServicesDep,
    campaign: Annotated[str | None, Query(max_length=200)] = None,
    lookback_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> Any:
    from callwise.attribution.report import attribution_report

    if svc.lake is None:
        raise ApiError(409, "conflict", what="the service has no lake to attribute in")
    try:
        return attribution_report(svc.lake, campaign, lookback_days)
    except FileNotFoundError:
        raise ApiError(409, "conflict", what="the lake has no contacts or conversions to attribute") from None
    except Translated as refused:
        if refused.key is None:
            raise
        raise ApiError(409, "unmeasurable", reason=Term(refused.key, tuple(refused.values.items()))) from None
