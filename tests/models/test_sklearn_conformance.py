"""Every model passes scikit-learn's estimator checks, so it works in pipelines, grid searches and clones."""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from callwise.model_kinds import KINDS
from callwise.models import MODELS


def test_the_registry_is_the_list_of_models():
    assert list(MODELS) == [kind.name for kind in KINDS]
    assert all(MODELS[kind.name].name == kind.name for kind in KINDS)  # a class answers to its registry name


# One case per kind of the registry, with its small-data settings: the checks fit on a few dozen rows.
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
# scikit-learn reports that it leaves out its array-API check (for GPU array libraries) unless asked to.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_scikit_learn_conventions(kind):
    results = check_estimator(kind.load_class()(**kind.small_data), on_fail=None)
    failed = {r["check_name"]: str(r["exception"])[:200] for r in results if r["status"] == "failed"}
    assert len(results) > 40 and not failed
