"""Who is held out (control) and which script arm the others get: a hash of (campaign seed, customer_id).

Control is stratified exactly by score decile: inside each decile the customers are ordered by their hash
uniform u and the first round(share × n) are control, so every decile — and so the whole list — holds out
the same share, and who is held out has nothing to do with rank inside the decile. The called customers
are split into arms by a second, independent uniform (another salt) against cumulative arm shares.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from callwise.experiments.design import (
    ExperimentError,
    NoControlWarning,
    check_arms,
    check_control_share,
    check_deciles,
    check_seed,
)
from callwise.experiments.hashing import hash64, to_uniform

COLUMNS = ["customer_id", "score", "score_decile", "u", "group", "arm"]
CONTROL, TREATMENT = "control", "treatment"


def campaign_seed(campaign_id: str, seed: int = 0) -> int:
    """A seed of its own for each campaign, from its id (and the campaign file's seed).

    With one seed for every campaign a customer's u would be the same in all of them, and the same
    customers would be held out again and again; deriving the seed from the campaign id avoids that.
    It is the top 63 bits of the same stable hash of ``"{campaign_id}:{seed}"`` (fits a signed 64-bit column).
    """
    if not isinstance(campaign_id, str) or not campaign_id.strip():
        raise ExperimentError(f"campaign_id must be non-empty text, got {campaign_id!r}")
    check_seed(seed)
    return int(hash64(pd.Series([f"{campaign_id}:{seed}"], dtype="str"), "")[0] >> np.uint64(1))


def group_salt(campaign_seed: int) -> str:
    """Prefix hashed before the customer_id for the control/treatment uniform u."""
    return f"{campaign_seed}:"


def arm_salt(campaign_seed: int) -> str:
    """Prefix for the arm uniform: a different string, so the arm draw is independent of the group draw."""
    return f"{campaign_seed}:arm:"


def assign_groups(
    customer_ids: Iterable[object],
    scores: Iterable[float],
    campaign_seed: int,
    control_share: float = 0.1,
    arms: Mapping[str, float] | None = None,
    deciles: int = 10,
) -> pd.DataFrame:
    """Give every customer a group (control | treatment) and treatment customers an arm.

    Returns one row per customer in input order: customer_id, score, score_decile (1 = best scores),
    u (the hash uniform), group, arm (the arm name for treatment, missing for control; ``"default"``
    when no arms are given). Same ids, scores and seed → the same frame, whatever the row order.
    """
    share = check_control_share(control_share)
    arm_shares = check_arms(arms)
    deciles = check_deciles(deciles)
    seed = check_seed(campaign_seed)
    ids = _customer_ids(customer_ids)
    score = _scores(scores, len(ids))
    if share == 0:
        warnings.warn(
            "control_share is 0: no control group, so this campaign's lift cannot be measured",
            NoControlWarning,
            stacklevel=2,
        )
    h = hash64(ids, group_salt(seed))
    by_hash = _hash_order(h, ids)
    decile = _score_deciles(score, by_hash, deciles)
    control = _stratified_control(decile, by_hash, deciles, share)
    arm = _arms(ids, seed, arm_shares, control)
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "score": score,
            "score_decile": decile,
            "u": to_uniform(h),
            "group": pd.array([TREATMENT, CONTROL], dtype="str").take(control.astype(np.intp)),
            "arm": arm,
        },
        columns=COLUMNS,
    )


def _customer_ids(customer_ids: Iterable[object]) -> pd.Series:
    ids = customer_ids if isinstance(customer_ids, pd.Series) else pd.Series(list(customer_ids), dtype=object)
    ids = ids.reset_index(drop=True)
    missing = ids.isna()
    if missing.any():
        raise ExperimentError(f"customer_id is missing in row {int(np.flatnonzero(missing)[0]) + 1}")
    text = ids.astype("str")
    empty = text.str.strip() == ""
    if empty.any():
        raise ExperimentError(f"customer_id is empty in row {int(np.flatnonzero(empty)[0]) + 1}")
    return text


def _scores(scores: Iterable[float], n: int) -> np.ndarray:
    values = scores if isinstance(scores, pd.Series | np.ndarray) else list(scores)
    values = pd.Series(values).reset_index(drop=True)
    if len(values) != n:
        raise ExperimentError(f"there are {n} customer ids but {len(values)} scores")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if n and not numeric:
        raise ExperimentError("scores must be numbers")
    score = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(score)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ExperimentError(f"score is missing or not finite in row {row + 1} (value {values.iloc[row]!r})")
    return score


def _hash_order(h: np.ndarray, ids: pd.Series) -> np.ndarray:
    """Rows by hash (so by u). Equal hashes mean a duplicate id (refused) or a 64-bit collision, which is
    then ordered by customer_id so that the input order never matters."""
    order = np.argsort(h)
    same = np.flatnonzero(h[order][1:] == h[order][:-1])
    if len(same) == 0:
        return order
    ids_sorted = ids.to_numpy()[order]
    dup = same[ids_sorted[same] == ids_sorted[same + 1]]
    if len(dup):
        first = ids_sorted[dup[0]]
        rows = np.flatnonzero((ids == first).to_numpy()) + 1
        raise ExperimentError(
            f"customer_id {first!r} appears more than once (rows {rows[0]} and {rows[1]}); "
            "each customer can be in one group only"
        )
    frame = pd.DataFrame({"h": h, "id": ids.to_numpy()})
    return frame.sort_values(["h", "id"], kind="stable").index.to_numpy()


def _score_deciles(score: np.ndarray, by_hash: np.ndarray, deciles: int) -> np.ndarray:
    """Equal-size strata by score, best first; equal scores are ordered by the hash (not by input order)."""
    n = len(score)
    order = by_hash[np.argsort(-score[by_hash], kind="stable")]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    return position * deciles // max(n, 1) + 1


def control_counts(sizes: np.ndarray, share: float) -> np.ndarray:
    """Control customers per stratum: share × size rounded half up (15 × 0.1 → 2, 25 × 0.1 → 3)."""
    return np.floor(np.asarray(sizes) * share + 0.5).astype(np.int64)


def _stratified_control(decile: np.ndarray, by_hash: np.ndarray, deciles: int, share: float) -> np.ndarray:
    """Inside each decile, the customers with the smallest u are control."""
    n = len(decile)
    order = by_hash[np.argsort(decile[by_hash].astype(np.int32), kind="stable")]  # by decile, then by u
    sizes = np.bincount(decile, minlength=deciles + 1)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # position where each decile starts in ``order``
    rank_in_decile = np.arange(n) - first[decile[order]]
    control = np.zeros(n, dtype=bool)
    control[order] = rank_in_decile < control_counts(sizes, share)[decile[order]]
    return control


def _arms(ids: pd.Series, seed: int, shares: dict[str, float], control: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Arm per treatment customer from the arm uniform against cumulative shares; missing for control."""
    names = pd.array([*shares, None], dtype="str")
    if len(shares) == 1:
        index = np.zeros(len(ids), dtype=np.intp)
    else:
        edges = np.cumsum(list(shares.values()))
        edges[-1] = 1.0  # the shares sum to 1 within 1e-9; make sure the last arm closes the interval
        index = np.searchsorted(edges, to_uniform(hash64(ids, arm_salt(seed))), side="right")
    index[control] = len(shares)
    return names.take(index)
