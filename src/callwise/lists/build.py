"""Call list v1: exclude the ineligible, rank the rest by expected value, write the list and the funnel.

expected value = p(convert) × value_per_conversion − cost_per_call. The list holds masked phones only, the
score, the expected value and the top three reasons in words; everyone left out has a reason code.
Same lake, campaign and model → byte-identical files (no clocks, stable sort on ties).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from callwise.features import customer_features, materialize
from callwise.i18n import t
from callwise.lake import Lake
from callwise.lists.campaign import Campaign
from callwise.lists.eligibility import RULES, exclusion_flags, primary_reasons
from callwise.models import reason_text
from callwise.security.masking import mask_phone

# Eligible customers who still do not make the list, in funnel order after the eligibility rules.
RANKING_REASONS = ("not_worth_calling", "below_capacity")
REASONS_ON_LIST = 3


class ListError(ValueError):
    """A list that cannot be built as asked (unknown product, model missing features …)."""


@dataclass(frozen=True)
class ListResult:
    listed: pd.DataFrame  # the call list, best first
    excluded: pd.DataFrame  # everyone left out, with a reason code
    ranked: pd.DataFrame  # every eligible customer with score and expected value, best first
    summary: dict[str, Any]
    seconds: dict[str, float]  # per step; kept out of the written summary so files stay byte-identical


def load_product(lake: Lake, product_id: str) -> dict[str, Any]:
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).to_pandas()
    if rows.empty:
        raise ListError(f"product {product_id!r} is not in the products table")
    return rows.iloc[0].to_dict()


def build_list(campaign: Campaign, lake: Lake, model: Any) -> ListResult:
    """Decide the list for one campaign; nothing is written (see :func:`write_list`)."""
    clock = _Clock()
    product = load_product(lake, campaign.product_id)
    flags = exclusion_flags(lake, product, campaign.date)
    primary, all_reasons = primary_reasons(flags)
    eligible_ids = flags.loc[primary.isna(), "customer_id"]
    clock.lap("eligibility")

    features = materialize(customer_features(lake, campaign.cutoff, product_id=campaign.product_id)).to_pandas()
    eligible = pd.Index(eligible_ids).get_indexer(features["customer_id"]) >= 0
    features = features[eligible].sort_values("customer_id", kind="stable")
    X = _model_input(features, model)
    clock.lap("features")
    p = model.predict_proba(X)[:, 1] if len(X) else np.empty(0)
    clock.lap("score")
    ranked = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(),
            "score": p,
            "expected_value": p * float(product["value_per_conversion"]) - campaign.cost_per_call,
        }
    )
    # Highest expected value first; ties by customer_id so rebuilding gives the same order.
    ranked = ranked.sort_values(["expected_value", "customer_id"], ascending=[False, True], kind="stable")
    worth = ranked["expected_value"] > campaign.min_expected_value
    position = np.cumsum(worth.to_numpy())
    on_list = worth.to_numpy() & (position <= campaign.capacity)
    ranked["left_out"] = np.where(on_list, None, np.where(worth, "below_capacity", "not_worth_calling"))

    listed = ranked[on_list].reset_index(drop=True)
    listed.insert(0, "rank", np.arange(1, len(listed) + 1))
    clock.lap("rank")
    listed = _add_contact_and_reasons(listed, lake, model, X.set_index(features["customer_id"].to_numpy()), campaign)
    clock.lap("explain")

    excluded = _excluded(flags, primary, all_reasons, ranked)
    summary = _summary(campaign, product, flags, primary, ranked, listed, model)
    ranked = ranked.drop(columns="left_out").reset_index(drop=True)
    return ListResult(listed=listed, excluded=excluded, ranked=ranked, summary=summary, seconds=clock.laps)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _model_input(features: pd.DataFrame, model: Any) -> pd.DataFrame:
    wanted = list(model.feature_names_in_)
    missing = [c for c in wanted if c not in features.columns]
    if missing:
        raise ListError(f"the model needs features the lake cannot provide: {', '.join(missing[:5])}")
    return features[wanted].reset_index(drop=True)


def _add_contact_and_reasons(
    listed: pd.DataFrame, lake: Lake, model: Any, X_by_id: pd.DataFrame, campaign: Campaign
) -> pd.DataFrame:
    phones = lake.table("customers").select("customer_id", "phone").to_pandas()
    listed = listed.merge(phones, on="customer_id", how="left", validate="one_to_one")
    listed["phone_masked"] = mask_phone(listed.pop("phone"))
    if listed.empty:
        for i in range(1, REASONS_ON_LIST + 1):
            listed[f"reason_{i}"] = pd.Series(dtype="str")
        return listed
    X_listed = X_by_id.loc[listed["customer_id"]].reset_index(drop=True)
    reasons = model.explain(X_listed, top=REASONS_ON_LIST)
    for i in range(1, REASONS_ON_LIST + 1):
        names, contributions = reasons[f"reason_{i}"].to_numpy(), reasons[f"contribution_{i}"].to_numpy()
        values = [X_listed.at[row, name] if isinstance(name, str) else None for row, name in enumerate(names)]
        # One sentence per listed customer (the list is capacity-sized, not customer-sized).
        listed[f"reason_{i}"] = [
            reason_text(name, value, contribution, campaign.lang) if isinstance(name, str) else ""
            for name, value, contribution in zip(names, values, contributions, strict=True)
        ]
    return listed[["rank", "customer_id", "phone_masked", "score", "expected_value", *_reason_columns()]]


def _reason_columns() -> list[str]:
    return [f"reason_{i}" for i in range(1, REASONS_ON_LIST + 1)]


def _excluded(flags: pd.DataFrame, primary: pd.Series, all_reasons: pd.Series, ranked: pd.DataFrame) -> pd.DataFrame:
    by_rule = pd.DataFrame(
        {"customer_id": flags["customer_id"], "reason": primary, "reasons": all_reasons, "expected_value": np.nan}
    )[primary.notna()]
    by_rank = ranked.loc[ranked["left_out"].notna(), ["customer_id", "left_out", "expected_value"]].rename(
        columns={"left_out": "reason"}
    )
    by_rank["reasons"] = by_rank["reason"]
    out = pd.concat([by_rule, by_rank[by_rule.columns]], ignore_index=True)
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _summary(
    campaign: Campaign,
    product: dict[str, Any],
    flags: pd.DataFrame,
    primary: pd.Series,
    ranked: pd.DataFrame,
    listed: pd.DataFrame,
    model: Any,
) -> dict[str, Any]:
    remaining = len(flags)
    funnel = [{"step": "customers", "removed": 0, "remaining": remaining}]
    primary_counts = primary.value_counts()
    left_out_counts = ranked["left_out"].value_counts()
    for step in (*RULES, *RANKING_REASONS):
        removed = int(primary_counts.get(step, 0) + left_out_counts.get(step, 0))
        remaining -= removed
        funnel.append({"step": step, "removed": removed, "remaining": remaining})
    assert remaining == len(listed), "funnel does not add up: every customer is listed or has a reason"
    return {
        "campaign_id": campaign.campaign_id,
        "product_id": campaign.product_id,
        "product_category": product.get("category"),
        "date": campaign.date.isoformat(),
        "capacity": campaign.capacity,
        "cost_per_call": campaign.cost_per_call,
        "value_per_conversion": float(product["value_per_conversion"]),
        "customers": len(flags),
        "eligible": int(primary.isna().sum()),
        "listed": len(listed),
        "funnel": funnel,
        "flagged_by_rule": {rule: int(flags[rule].sum()) for rule in RULES},
        "expected_conversions": round(float(listed["score"].sum()), 6),
        "expected_value": round(float(listed["expected_value"].sum()), 2),
        "model": getattr(model, "name_", type(model).__name__),
        "policy": "builtin-v1",
    }


def write_list(result: ListResult, out_dir: str | Path) -> dict[str, str]:
    """Write list (CSV with BOM for Excel, and Parquet), exclusions and summary; return the file paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "list_csv": out / "call_list.csv",
        "list_parquet": out / "call_list.parquet",
        "exclusions": out / "exclusions.parquet",
        "exclusions_csv": out / "exclusions.csv",
        "summary": out / "summary.json",
    }
    listed = result.listed.assign(
        score=result.listed["score"].round(6), expected_value=result.listed["expected_value"].round(2)
    )
    listed.to_csv(files["list_csv"], index=False, encoding="utf-8-sig", lineterminator="\n")
    pq.write_table(pa.Table.from_pandas(listed, preserve_index=False), files["list_parquet"], compression="zstd")
    excluded = result.excluded.assign(expected_value=result.excluded["expected_value"].round(2))
    pq.write_table(pa.Table.from_pandas(excluded, preserve_index=False), files["exclusions"], compression="zstd")
    excluded.to_csv(files["exclusions_csv"], index=False, encoding="utf-8-sig", lineterminator="\n")
    summary = dict(result.summary, list_sha256=hashlib.sha256(files["list_csv"].read_bytes()).hexdigest())
    files["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return {k: str(v) for k, v in files.items()}


def funnel_text(summary: dict[str, Any], lang: str = "zh") -> str:
    """The funnel as readable lines, e.g. for the CLI and the report."""
    lines = []
    for step in summary["funnel"]:
        label = t(f"exclusion.{step['step']}", lang)
        lines.append(f"{label:<24} -{step['removed']:>9,}  {step['remaining']:>10,}")
    return "\n".join(lines)
