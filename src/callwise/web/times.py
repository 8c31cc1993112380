"""The one type of time the API accepts: with a UTC offset, and inside the range UTC can express.

``0001-01-01T00:00:00+14:00`` is a valid ISO time whose UTC value lies before year 1; storing it would overflow
in the database driver. Refused here, it is a 422 naming the field, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _expressible_in_utc(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time lies outside the years 1 to 9999 once converted to UTC") from None
    return value


UtcTime = Annotated[AwareDatetime, AfterValidator(_expressible_in_utc)]
