"""A synthetic bank with known ground truth: every contract table, and what really drives behaviour."""

from callwise.synth.bank import synthesize

__all__ = ["synthesize"]
