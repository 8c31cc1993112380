"""What an experiment design may be: a control share, script arms with shares, a number of strata.

Checked once, here, so the Python API, the CLI and the campaign file refuse the same things with the same
sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from callwise.i18n.message import Localised, msg

DEFAULT_ARM = "default"  # the one arm of a campaign that does not split its script
SHARE_TOLERANCE = 1e-9


class ExperimentError(ValueError):
    """An experiment input that cannot be used; the message names the field and the reason."""


class DesignRefused(Localised, ExperimentError):
    """An ``ExperimentError`` worded from the catalogue (zh and en); ``str()`` is the English sentence."""


class NoControlWarning(UserWarning):
    """A design without a control group: the campaign's lift cannot be measured."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_control_share(control_share: float) -> float:
    """A control share in [0, 1); 0 means no control group (allowed, but lift cannot be measured)."""
    if not _is_number(control_share) or not 0 <= control_share < 1:
        raise DesignRefused(msg("experiments.refused.control_share", value=repr(control_share)))
    return float(control_share)


def check_arms(arms: Mapping[str, float] | None) -> dict[str, float]:
    """Arm names (non-empty, unique text) with positive shares of the called group that sum to 1."""
    if arms is None:
        return {DEFAULT_ARM: 1.0}
    if not isinstance(arms, Mapping) or not arms:
        raise DesignRefused(msg("experiments.refused.no_arms", example="{'A': 0.5, 'B': 0.5}"))
    out: dict[str, float] = {}
    for name, share in arms.items():
        if not isinstance(name, str) or not name.strip():
            raise DesignRefused(msg("experiments.refused.arm_name", value=repr(name)))
        clean = name.strip()
        if clean in out:
            raise DesignRefused(msg("experiments.refused.arm_twice", arm=repr(clean)))
        if not _is_number(share) or share <= 0:
            raise DesignRefused(msg("experiments.refused.arm_share", arm=repr(clean), value=repr(share)))
        out[clean] = float(share)
    total = math.fsum(out.values())
    if abs(total - 1) > SHARE_TOLERANCE:
        raise DesignRefused(msg("experiments.refused.arm_sum", total=f"{total:.12g}"))
    return out


def check_deciles(deciles: int) -> int:
    """The number of score strata (10 = deciles)."""
    if not isinstance(deciles, int) or isinstance(deciles, bool) or deciles < 1:
        raise ExperimentError(f"deciles must be a whole number ≥ 1, got {deciles!r}")
    return deciles


def check_seed(seed: int) -> int:
    """The campaign seed: a whole number (it is hashed as its decimal text)."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ExperimentError(f"campaign_seed must be a whole number, got {seed!r}")
    return seed


def parse_arms(text: str) -> dict[str, float]:
    """``"A=0.5,B=0.5"`` → ``{"A": 0.5, "B": 0.5}``, checked like any other arms."""
    arms: dict[str, float] = {}
    for part in text.split(","):
        name, sep, share = part.partition("=")
        if not sep:
            raise ExperimentError(f"arms: {part.strip()!r} is not NAME=SHARE (e.g. A=0.5,B=0.5)")
        try:
            value = float(share)
        except ValueError:
            raise ExperimentError(f"arms: share {share.strip()!r} of arm {name.strip()!r} is not a number") from None
        if name.strip() in arms:
            raise ExperimentError(f"arm {name.strip()!r} is given twice")
        arms[name.strip()] = value
    return check_arms(arms)
