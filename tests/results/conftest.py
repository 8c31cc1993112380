"""The service's fixtures (an API on a migrated DB, a saved response model), for the job path of recording."""

from tests.web.conftest import api, pii, saved_model

__all__ = ["api", "pii", "saved_model"]
