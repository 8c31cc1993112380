"""What the best possible model could know: each customer's posterior over the hidden traits, given the tables.

A customer's chance to buy depends on two things no table records: the response type (persuadable, sure
thing, …) and a taste for financial products. The tables still hint at both: the visible traits set the
prior of the type, the products held when the year began reflect the taste, and every past campaign's
outcome (bought on the call, bought alone, complained) is evidence about both. ``Evidence`` keeps the exact
Bayesian log-posterior on a grid of (type, taste) while the bank is generated; ``expected`` turns it into
the Bayes-optimal p(buy | answered) and p(buy | not called): the ceilings for any response or uplift model
trained on the tables, which the oracle (knowing type and taste) is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callwise.synth import behaviour as bh
from callwise.synth.activity import PRODUCTS, holding_logit

CHUNK = 100_000
GRID_POINTS = 24  # Gauss-Hermite nodes over taste; the posterior is smooth, more nodes change nothing visible


@dataclass
class Evidence:
    """Log-posterior (up to a constant) of every customer over 4 types × the taste grid, as float32."""

    taste: np.ndarray  # grid nodes
    log_post: np.ndarray  # customers × types × nodes

    @classmethod
    def prior(cls, traits: dict[str, np.ndarray]) -> Evidence:
        nodes, weights = np.polynomial.hermite_e.hermegauss(GRID_POINTS)
        logits = bh.type_logits(traits)
        log_type = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        log_post = log_type[:, :, None] + np.log(weights / weights.sum())[None, None, :]
        return cls(taste=bh.TASTE_SD * nodes, log_post=log_post.astype(np.float32))

    def initial_holdings(self, traits: dict[str, np.ndarray], holdings: dict[str, np.ndarray]) -> None:
        """The products held when the year starts: each is held more often the greater the taste."""
        n = len(traits["age"])
        visible = bh.visible_appetite(traits)
        for j, (_, _, category, *_rest) in enumerate(PRODUCTS):
            held = np.zeros(n, bool)
            held[holdings["customer"][holdings["product"] == j]] = True
            logit = holding_logit(visible[category][:, None] + self.taste[None, :])
            log_lik = np.where(held[:, None], _log_sigmoid(logit), _log_sigmoid(-logit))
            self.log_post += log_lik[:, None, :].astype(np.float32)

    def campaign(self, members: np.ndarray, visible_logit: np.ndarray, outcome: CampaignOutcome) -> None:
        """One past campaign's outcome for its members; ``visible_logit``: no-call log-odds before type and taste."""
        logit = visible_logit[:, None, None] + bh.TYPE_OFFSET[None, :, None] + self.taste[None, None, :]
        on_call = logit + bh.CALL_EFFECT[None, :, None]
        answered = outcome.answered_attempt >= 0
        bought, complained, alone = (
            x[:, None, None] for x in (outcome.bought_on_call, outcome.complained, outcome.alone)
        )
        attempt = np.maximum(outcome.answered_attempt, 0)
        complaint = np.stack(
            [bh.complaint_probability({"type": np.full(len(members), t)}, attempt) for t in range(len(bh.TYPES))],
            axis=1,
        )[:, :, None]
        call_term = np.where(
            bought,
            _log_sigmoid(on_call),
            _log_sigmoid(-on_call) + np.where(complained, np.log(complaint), np.log1p(-complaint)),
        )
        alone_term = np.where(bought, 0.0, np.where(alone, _log_sigmoid(logit), _log_sigmoid(-logit)))
        log_lik = np.where(answered[:, None, None], call_term, 0.0) + alone_term
        self.log_post[members] += log_lik.astype(np.float32)  # members of one campaign are distinct

    def expected(self, visible_logit: np.ndarray, answered: bool = True) -> np.ndarray:
        """Posterior mean of p(buy | answered), or of p(buy | not called), from the no-call log-odds before type
        and taste. The two share one posterior, so their difference is the best increment the tables allow."""
        effect = bh.TYPE_OFFSET + bh.CALL_EFFECT if answered else bh.TYPE_OFFSET
        out = np.empty(len(visible_logit))
        for first in range(0, len(out), CHUNK):  # chunks keep a million customers' grids small
            rows = slice(first, first + CHUNK)
            log_post = self.log_post[rows]
            post = np.exp(log_post - log_post.max(axis=(1, 2), keepdims=True))
            p = bh.sigmoid(visible_logit[rows, None, None] + effect[None, :, None] + self.taste[None, None, :])
            out[rows] = (post * p).sum(axis=(1, 2)) / post.sum(axis=(1, 2))
        return out


@dataclass
class CampaignOutcome:
    """Per member of one past campaign: which attempt was answered (-1: none, or not called) and what followed."""

    answered_attempt: np.ndarray
    bought_on_call: np.ndarray
    complained: np.ndarray
    alone: np.ndarray


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0, -x)
