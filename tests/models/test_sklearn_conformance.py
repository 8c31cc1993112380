"""Every model passes scikit-learn's estimator checks, so it works in pipelines, grid searches and clones."""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from callwise.models import LightGBMResponse, LogisticModel, ScorecardModel


@pytest.mark.parametrize(
    "estimator",
    # Small-data settings for LightGBM: the checks fit on a few dozen rows.
    [LogisticModel(), ScorecardModel(), LightGBMResponse(n_estimators=20, min_child_samples=5, calibration_folds=2)],
    ids=lambda e: type(e).__name__,
)
# scikit-learn reports that it leaves out its array-API check (for GPU array libraries) unless asked to.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_scikit_learn_conventions(estimator):
    results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"]: str(r["exception"])[:200] for r in results if r["status"] == "failed"}
    assert len(results) > 40 and not failed
