"""Segments: customers grouped by K-means or Ward on standardised features and tags, named, profiled, with ids
that stay the same across refreshes. See docs/segments.md.

``fit_segments(lake, cutoff)`` fits and writes the lake tables ``segments`` and ``segment_history`` and the
segmentation (JSON) under ``<lake>/_segments/``; ``current_segmentation(lake)`` reads it back;
``assign_segments(lake, segmentation)`` is the assignment as an Ibis table; ``rename_segment`` names a segment.
"""

from __future__ import annotations

from callwise.segments.api import HISTORY, TABLE, current_segmentation, fit_segments, rename_segment
from callwise.segments.assign import assign_segments
from callwise.segments.errors import SegmentError
from callwise.segments.fit import METHODS
from callwise.segments.inputs import DEFAULT_FEATURES
from callwise.segments.model import Segmentation, SegmentInfo

__all__ = [
    "DEFAULT_FEATURES",
    "HISTORY",
    "METHODS",
    "TABLE",
    "SegmentError",
    "SegmentInfo",
    "Segmentation",
    "assign_segments",
    "current_segmentation",
    "fit_segments",
    "rename_segment",
]
