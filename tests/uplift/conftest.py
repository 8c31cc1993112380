"""The uplift tests' shared experiment (see ``helpers``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.uplift.helpers import experiment


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    return experiment()
