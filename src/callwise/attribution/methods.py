"""The attribution estimators, on the small tables of :mod:`callwise.attribution.paths` (NumPy and SciPy only).

Each returns the conversions it credits to each channel (``credit``: an array in the order of ``channels``); the
report turns them into shares. Two families:

- **path methods as textbooks have them** — first, last and linear touch; the Markov removal effect with the removed
  channel sent to null; Shapley values with v(∅) = 0. They share out *every* conversion of a touched customer,
  including those that would have happened anyway, so a channel that reaches many customers gets the baseline
  conversions of its reach as well as its own effect.
- **causal versions** — the same two models with the baseline taken out: the Markov chain's removed channel leads to
  a state that converts at the baseline rate (the control group's), and Shapley's v(∅) is the control group's rate;
  both then share out the conversions above the baseline, which is what a randomised control group measures. And
  a logistic regression of the outcome on the channels with controls, whose average marginal effect on the touched
  is each channel's increment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, special

from callwise.attribution.errors import AttributionError
from callwise.attribution.paths import CONTROLS, CONVERSION, NULL, START

MAX_SHAPLEY_CHANNELS = 12


# --- first, last, linear ----------------------------------------------------------------------------------------


def touch_credit(credits: pd.DataFrame, channels: tuple[str, ...], rule: str) -> np.ndarray:
    """The conversions credited by ``rule`` (``first``, ``last`` or ``linear``) to each channel."""
    by_channel = credits.groupby("channel")[rule].sum()
    return np.array([float(by_channel.get(c, 0.0)) for c in channels])


# --- Markov chain ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """The absorbing chain: transient states (start, then the channels) and the two absorbing ones."""

    channels: tuple[str, ...]
    q: np.ndarray  # transient → transient probabilities, (1 + k) × (1 + k); state 0 is (start)
    r: np.ndarray  # transient → (conversion, null), (1 + k) × 2

    @classmethod
    def of(cls, transitions: pd.DataFrame, channels: tuple[str, ...]) -> Chain:
        index = {START: 0, **{c: i + 1 for i, c in enumerate(channels)}}
        ends = {CONVERSION: 0, NULL: 1}
        m = len(index)
        counts = np.zeros((m, m + 2))
        for source, target, n in transitions[["source", "target", "n"]].itertuples(index=False):
            column = index[target] if target in index else m + ends[target]
            counts[index[source], column] += float(n)
        out = counts.sum(axis=1, keepdims=True)
        # a state never left (a channel seen in no path) ends in null: it cannot convert anyone
        probs = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
        probs[out[:, 0] == 0, m + 1] = 1.0
        return cls(channels, probs[:, :m], probs[:, m:])

    def conversion(self, removed: int | None = None, baseline: float | None = None) -> float:
        """P(conversion) from (start), exactly: (I − Q)⁻¹ R. With ``removed`` (a channel's index), every transition
        into that channel goes to null, or, with ``baseline``, to a state that converts at the baseline rate."""
        q, r = self.q.copy(), self.r.copy()
        if removed is not None:
            state = removed + 1
            into = q[:, state].copy()
            q[:, state] = 0.0
            q[state, :] = 0.0
            rate = 0.0 if baseline is None else baseline
            r[:, 0] += into * rate
            r[:, 1] += into * (1.0 - rate)
            r[state] = (0.0, 1.0)
        absorbed = linalg.solve(np.eye(len(q)) - q, r)
        return float(absorbed[0, 0])


def markov_credit(
    transitions: pd.DataFrame, channels: tuple[str, ...], conversions: float, baseline: float | None = None
) -> np.ndarray:
    """Conversions credited by the removal effect of each channel, normalised to sum to ``conversions``.

    Textbook (``baseline`` None): effect_i = 1 − P(conv without i) / P(conv), the removed channel sent to null.
    Causal (``baseline`` the control group's rate): effect_i = P(conv) − P(conv without i), the removed channel
    sent to a state that converts at the baseline rate; the caller passes the conversions above the baseline.
    Negative effects (a channel whose removal would raise conversions) count as zero.
    """
    chain = Chain.of(transitions, channels)
    full = chain.conversion()
    if full <= 0:
        return np.zeros(len(channels))
    removed = np.array([chain.conversion(i, baseline) for i in range(len(channels))])
    effect = 1.0 - removed / full if baseline is None else full - removed
    effect = np.maximum(effect, 0.0)
    total = effect.sum()
    return effect / total * conversions if total > 0 else np.zeros(len(channels))


def set_chain_credit(set_transitions: pd.DataFrame, k: int, conversions: float, baseline: float) -> np.ndarray:
    """:func:`set_chain_effects` with negative effects counted as zero, normalised to share out ``conversions``."""
    effect = np.maximum(set_chain_effects(set_transitions, k, baseline), 0.0)
    total = effect.sum()
    return effect / total * conversions if total > 0 else np.zeros(k)


def set_chain_effects(set_transitions: pd.DataFrame, k: int, baseline: float) -> np.ndarray:
    """Causal removal effect on the chain whose states are the sets of channels seen so far (mask 0 is the start).

    From the fundamental matrix, each set's probability of being where a path ends, e(S), and the conversion rate of
    paths that end there, c(S): P(conv) = Σ e(S) c(S). Removing channel i, every path goes on as it went but without
    i, and converts as paths ending at S∖{i} do, the empty set at the control group's rate (a set no path ends at is
    filled as in :func:`coalition_values`): effect_i = P(conv) − Σ e(S) c(S∖{i}), in conversions (times the paths
    that left the start).
    """
    _check_players(k)
    m = 1 << k
    counts = np.zeros((m, m + 2))
    for source, target, n in set_transitions[["source", "target", "n"]].itertuples(index=False):
        counts[int(source), int(target) if target >= 0 else m + (-int(target) - 1)] += float(n)
    out = counts.sum(axis=1, keepdims=True)
    probs = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
    probs[out[:, 0] == 0, m + 1] = 1.0
    q, r = probs[:, :m], probs[:, m:]
    visits = linalg.solve((np.eye(m) - q).T, np.eye(m)[0])  # expected visits to each state from the start
    ending = visits * r.sum(axis=1)
    ends = counts[:, m:].sum(axis=1)
    rate = coalition_values(ends, counts[:, m], k, baseline)
    full = float(ending @ rate)
    masks = np.arange(m)
    effect = np.array([full - float(ending @ rate[masks & ~(1 << i)]) for i in range(k)])
    return effect * float(counts[0].sum())


# --- Shapley values -------------------------------------------------------------------------------------------


def _popcount(k: int) -> np.ndarray:
    masks = np.arange(1 << k)
    return np.array([int(m).bit_count() for m in masks])


def mobius(values: np.ndarray, k: int) -> np.ndarray:
    """Harsanyi dividends d(T) = Σ_{U ⊆ T} (−1)^{|T|−|U|} v(U) of a game given on every mask (fast subset
    transform, k·2^k operations)."""
    d = np.array(values, dtype=float)
    masks = np.arange(1 << k)
    for i in range(k):
        has = masks[(masks >> i) & 1 == 1]
        d[has] -= d[has ^ (1 << i)]
    return d


def superset_sums(weights: np.ndarray, k: int) -> np.ndarray:
    """N(T) = Σ_{S ⊇ T} w(S) for every mask T."""
    n = np.array(weights, dtype=float)
    masks = np.arange(1 << k)
    for i in range(k):
        lacks = masks[(masks >> i) & 1 == 0]
        n[lacks] += n[lacks | (1 << i)]
    return n


def shapley_values(values: np.ndarray, k: int) -> np.ndarray:
    """The exact Shapley value of each of ``k`` players in the game v (indexed by mask): φ_i = Σ_{T ∋ i} d(T)/|T|."""
    _check_players(k)
    d = mobius(values, k)
    size = _popcount(k)
    masks = np.arange(1 << k)
    share = np.divide(d, size, out=np.zeros_like(d), where=size > 0)
    return np.array([share[(masks >> i) & 1 == 1].sum() for i in range(k)])


def _check_players(k: int) -> None:
    if k > MAX_SHAPLEY_CHANNELS:
        raise AttributionError("attribution.error.shapley_channels", n=k, most=MAX_SHAPLEY_CHANNELS)


def coalition_values(
    counts: np.ndarray, conversions: np.ndarray, k: int, empty: float, order: int | None = None
) -> np.ndarray:
    """v(S) for every mask, v(∅) = ``empty``.

    ``order`` None: the conversion rate of the paths whose channel set is S where some are; a coalition no path has
    is filled from the additive fit v(S) = v(∅) + Σ_{i∈S} β_i. ``order`` o: every v(S) from the fit with the
    interactions of up to o channels, v(S) = v(∅) + Σ_{T⊆S, 1≤|T|≤o} β_T, weighted least squares over the coalitions
    seen (each weighted by its paths): a coalition few paths have no longer swings the dividends it enters
    (docs/decisions/0052-attribution.md)."""
    n = np.asarray(counts, dtype=float)
    rates = np.divide(conversions, n, out=np.zeros_like(n), where=n > 0)
    seen = n > 0
    seen[0] = False
    masks = np.arange(1 << k)
    if order is None:
        values = rates.copy()
        values[0] = empty
        unseen = ~seen
        unseen[0] = False
        if unseen.any() and seen.any():
            values[unseen] = empty + _fitted(masks, rates, n, seen, k, empty, 1)[unseen]
        return values
    values = empty + _fitted(masks, rates, n, seen, k, empty, order)
    values[0] = empty
    return values


def _fitted(
    masks: np.ndarray, rates: np.ndarray, n: np.ndarray, seen: np.ndarray, k: int, empty: float, order: int
) -> np.ndarray:
    """Σ_{T⊆S, 1≤|T|≤order} β_T for every mask S, β by weighted least squares on the seen coalitions."""
    terms = [t for t in range(1, 1 << k) if int(t).bit_count() <= order]
    design = np.array([[(m & t) == t for t in terms] for m in masks], dtype=float)
    if not seen.any():
        return np.zeros(len(masks))
    w = np.sqrt(n[seen])
    beta, *_ = np.linalg.lstsq(design[seen] * w[:, None], (rates[seen] - empty) * w, rcond=None)
    return design @ beta


def shapley_credit(
    counts: np.ndarray, conversions: np.ndarray, k: int, empty: float = 0.0, order: int | None = None
) -> np.ndarray:
    """Conversions credited to each channel: the Shapley values of the game v restricted to each path's channel
    set, times the paths with that set, summed (Σ_S n_S φ_i(v on subsets of S)).

    With Harsanyi dividends d this is Σ_{T ∋ i} d(T) · N(T) / |T|, N(T) the paths whose set contains T. The credits
    add up to Σ_S n_S (v(S) − v(∅)): every conversion when ``empty`` is 0 (textbook), the conversions above the
    baseline when it is the control group's rate (causal)."""
    _check_players(k)
    values = coalition_values(counts, conversions, k, empty, order)
    d = mobius(values, k)
    weights = np.asarray(counts, dtype=float).copy()
    weights[0] = 0.0  # paths have a channel; the empty set's members are the baseline, not shared out
    reach = superset_sums(weights, k)
    size = _popcount(k)
    part = np.divide(d * reach, size, out=np.zeros(1 << k), where=size > 0)
    masks = np.arange(1 << k)
    return np.array([part[(masks >> i) & 1 == 1].sum() for i in range(k)])


def set_counts(sets: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Paths and conversions per channel set (mask), from the grouped sets table."""
    n = np.zeros(1 << k)
    won = np.zeros(1 << k)
    masks = sets["mask"].to_numpy(dtype=np.int64)
    weight = sets["n"].to_numpy(dtype=float)
    np.add.at(n, masks, weight)
    np.add.at(won, masks, weight * sets["converted"].to_numpy(dtype=float))
    return n, won


# --- regression -------------------------------------------------------------------------------------------------


def logistic_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, ridge: float = 1e-6, steps: int = 50) -> np.ndarray:
    """Coefficients of a logistic regression with frequency weights, by Newton–Raphson (IRLS). A tiny ridge keeps a
    level seen only with one outcome finite; the first column is the intercept (not penalised)."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], ridge)
    penalty[0] = 0.0
    for _ in range(steps):
        p = special.expit(x @ beta)
        gradient = x.T @ (w * (y - p)) - penalty * beta
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = linalg.solve(hessian, gradient, assume_a="pos")
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def regression_credit(sets: pd.DataFrame, channels: tuple[str, ...]) -> pd.DataFrame:
    """Increment per campaign (rows) and channel (columns) from one logistic regression of converted on the channel
    indicators and the controls (age band, income band, segment, campaign): the average marginal effect of the
    channel over the paths it touched, times those paths. Control members (mask 0) are rows with every indicator 0."""
    k = len(channels)
    masks = sets["mask"].to_numpy(dtype=np.int64)
    touch = ((masks[:, None] >> np.arange(k)) & 1).astype(float)
    dummies = [np.ones((len(sets), 1)), touch]
    if "eligible" in sets.columns:  # the channels open to the customer: a strong control when reach is selective
        open_to = (sets["eligible"].to_numpy(dtype=np.int64)[:, None] >> np.arange(k)) & 1
        dummies.extend(open_to[:, [i]].astype(float) for i in range(k) if 0 < open_to[:, i].sum() < len(sets))
    for name in (*CONTROLS, "campaign_id"):
        codes = sets[name].astype(str).to_numpy()
        levels = sorted(set(codes))
        dummies.extend((codes == level).astype(float)[:, None] for level in levels[1:])
    x = np.hstack(dummies)
    y = sets["converted"].to_numpy(dtype=float)
    w = sets["n"].to_numpy(dtype=float)
    beta = logistic_fit(x, y, w)
    gains = np.zeros((len(sets), k))
    for i in range(k):
        on, off = x.copy(), x.copy()
        on[:, 1 + i], off[:, 1 + i] = 1.0, 0.0
        gains[:, i] = w * touch[:, i] * (special.expit(on @ beta) - special.expit(off @ beta))
    frame = pd.DataFrame(gains, columns=list(channels))
    frame["campaign_id"] = sets["campaign_id"].astype(str).to_numpy()
    return frame.groupby("campaign_id")[list(channels)].sum()
