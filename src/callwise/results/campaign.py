"""One campaign's results, however it was built: the members and outcomes gathered, the costs found, the sums done.

The CLI and the API both call :func:`results_for`. Costs come from the campaign as the operational database holds
it (the settings it was created with), else from the campaign file given, else zero; a cost given explicitly
overrides both. The value of a conversion is the product's, from the lake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from callwise.i18n.errors import Translated
from callwise.lake import Lake

COST_FIELDS = ("cost_per_call", "cost_per_minute", "cost_per_sms")


class ResultsError(Translated, ValueError):
    """Results that cannot be measured as asked (no lake, an unknown product …)."""


@dataclass(frozen=True)
class Costs:
    """What one unit of contact costs (CNY), and what one conversion is worth."""

    cost_per_call: float = 0.0
    cost_per_minute: float = 0.0
    cost_per_sms: float = 0.0
    value_per_conversion: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in (*COST_FIELDS, "value_per_conversion")}


def campaign_costs(
    campaign_id: str,
    lake: Lake,
    ops_engine: Engine | None = None,
    campaign_file: Path | None = None,
    overrides: dict[str, float | None] | None = None,
) -> tuple[Costs, str | None]:
    """The campaign's costs and its product, from the ops DB spec, the campaign file, then ``overrides``."""
    spec: dict[str, Any] = {}
    if campaign_file is not None:
        from callwise.lists.campaign import load_campaign

        spec = load_campaign(campaign_file).model_dump(mode="json")
    elif ops_engine is not None:
        spec = _ops_spec(ops_engine, campaign_id)
    product_id = spec.get("product_id") or _lake_product(lake, campaign_id)
    costs = Costs(**{name: float(spec.get(name) or 0.0) for name in COST_FIELDS})
    if product_id is not None:
        costs = replace(costs, value_per_conversion=_product_value(lake, product_id))
    given = {k: float(v) for k, v in (overrides or {}).items() if v is not None}
    for name, value in given.items():
        if value < 0:
            raise ResultsError("results.cli.cost_negative", name=name, value=value)
    return replace(costs, **given), product_id


def results_for(
    campaign_id: str,
    lake: Lake,
    window_days: int = 30,
    ops_engine: Engine | None = None,
    campaign_file: Path | None = None,
    overrides: dict[str, float | None] | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Everything a campaign's results say, JSON-ready (see ``callwise.results.summary.campaign_results``)."""
    from callwise.results.frame import member_outcomes
    from callwise.results.summary import campaign_results

    costs, _ = campaign_costs(campaign_id, lake, ops_engine, campaign_file, overrides)
    frame = member_outcomes(
        lake, campaign_id, window_days, ops_engine=ops_engine, value_per_conversion=costs.value_per_conversion
    )
    return campaign_results(frame, costs.as_dict(), window_days, alpha=alpha, campaign_id=campaign_id)


def _ops_spec(engine: Engine, campaign_id: str) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from callwise.ops.models import Campaign

    with Session(engine) as session:
        row = session.get(Campaign, campaign_id)
        return dict(row.spec) if row is not None else {}


def _lake_product(lake: Lake, campaign_id: str) -> str | None:
    if not lake.has("campaigns"):
        return None
    campaigns = lake.table("campaigns")
    rows = campaigns.filter(campaigns.campaign_id == campaign_id).select("product_id").limit(1).to_pyarrow()
    return str(rows.column(0)[0].as_py()) if rows.num_rows else None


def _product_value(lake: Lake, product_id: str) -> float:
    if not lake.has("products"):
        return 0.0
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).select("value_per_conversion").limit(1).to_pyarrow()
    if not rows.num_rows or rows.column(0)[0].as_py() is None:
        return 0.0
    return float(rows.column(0)[0].as_py())
