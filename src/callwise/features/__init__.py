"""As-of features from the lake (Ibis expressions) and the training set of past campaigns."""

from callwise.features.asof import customer_features, materialize
from callwise.features.training import TrainingDataError, past_campaigns, training_set, uplift_training_set

__all__ = [
    "TrainingDataError",
    "customer_features",
    "materialize",
    "past_campaigns",
    "training_set",
    "uplift_training_set",
]
