"""Multi-touch attribution (归因): which channels earned a campaign's conversions, set beside its control group.

``path_tables`` (paths.py) reads the lake in Ibis and returns small aggregates; ``methods.py`` holds the
estimators (first/last/linear touch, Markov removal effect, Shapley values, regression); ``report.py`` puts them
side by side with the randomised increment and says where they disagree. See docs/attribution.md.
"""

from callwise.attribution.errors import AttributionError
from callwise.attribution.paths import PathTables, path_tables

__all__ = ["AttributionError", "PathTables", "path_tables"]
