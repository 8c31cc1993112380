"""One campaign's results, however it was built: the members and outcomes gathered, the costs found, the sums done.

The CLI and the API both call :func:`results_for`. Costs come from the campaign as the operational database holds
it (the settings it was created with), else from the campaign file given, else zero; a cost given explicitly
overrides both. The value of a conversion is the product's, from the lake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from callwise.lake import Lake
from callwise.results.effect import UNIT_COSTS, CampaignCosts


def campaign_costs(
    campaign_id: str,
    lake: Lake,
    ops_engine: Engine | None = None,
    campaign_file: Path | None = None,
    overrides: dict[str, float | None] | None = None,
) -> CampaignCosts:
    """The campaign's costs from its campaign file or the ops DB's spec, then ``overrides``; its product's value."""
    spec: dict[str, Any] = {}
    if campaign_file is not None:
        from callwise.lists.campaign import load_campaign

        spec = load_campaign(campaign_file).model_dump(mode="json")
    elif ops_engine is not None:
        spec = _ops_spec(ops_engine, campaign_id)
    product_id = spec.get("product_id") or _lake_product(lake, campaign_id)
    found = {name: spec.get(name) for name in UNIT_COSTS}
    found.update({name: value for name, value in (overrides or {}).items() if value is not None})
    value = _product_value(lake, product_id) if product_id is not None else 0.0
    return CampaignCosts.of({**found, "value_per_conversion": value})


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

    costs = campaign_costs(campaign_id, lake, ops_engine, campaign_file, overrides)
    frame = member_outcomes(
        lake, campaign_id, window_days, ops_engine=ops_engine, value_per_conversion=costs.value_per_conversion
    )
    return campaign_results(frame, costs, window_days, alpha=alpha, campaign_id=campaign_id)


def _ops_spec(engine: Engine, campaign_id: str) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from callwise.ops.models import Campaign

    with Session(engine) as session:
        row = session.get(Campaign, campaign_id)
        return dict(row.spec) if row is not None else {}


def _lake_product(lake: Lake, campaign_id: str) -> str | None:
    """The campaign's product as the lake's campaigns table, or its recorded members, name it."""
    for name in ("campaigns", "campaign_members"):
        if not lake.has(name) or "product_id" not in lake.table(name).columns:
            continue
        table = lake.table(name)
        rows = table.filter((table.campaign_id == campaign_id) & table.product_id.notnull()).select("product_id")
        found = rows.limit(1).to_pyarrow()
        if found.num_rows:
            return str(found.column(0)[0].as_py())
    return None


def _product_value(lake: Lake, product_id: str) -> float:
    if not lake.has("products"):
        return 0.0
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).select("value_per_conversion").limit(1).to_pyarrow()
    if not rows.num_rows or rows.column(0)[0].as_py() is None:
        return 0.0
    return float(rows.column(0)[0].as_py())
