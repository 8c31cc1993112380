"""The service's fixtures (an API on a migrated DB), for the attribution API test."""

from tests.web.conftest import api, pii

__all__ = ["api", "pii"]
