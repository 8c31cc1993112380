"""The campaign file: what one call list is for (product, day, capacity, costs, model)."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _TextDatesLoader(yaml.SafeLoader):
    """YAML loader that leaves dates as text, so a bad date is reported by field name, not as a crash."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class CampaignError(ValueError):
    """A campaign file that cannot be used; the message names the file and the field."""


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = ""
    product_id: str = Field(min_length=1)
    date: date  # the day the list is called; features are computed as of its first instant
    capacity: int = Field(ge=0)  # calls the team can place for this list
    cost_per_call: float = Field(default=5.0, ge=0)  # CNY, agent time and telephony
    min_expected_value: float = 0.0  # customers below this expected value are left off
    model: Path | None = None  # a saved model directory; relative paths are relative to the campaign file
    seed: int = 0
    lang: Literal["zh", "en"] = "zh"  # language of the reasons written into the list

    @field_validator("model")
    @classmethod
    def _model_dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"model directory {value} does not exist")
        return value

    @property
    def cutoff(self) -> datetime:
        return datetime.combine(self.date, time.min)


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign YAML file; any problem is one sentence naming file and field."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader)
    except FileNotFoundError:
        raise CampaignError(f"{path}: campaign file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CampaignError(f"{path}: not a readable YAML file ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise CampaignError(f"{path}: a campaign file must be a mapping of fields, e.g. 'product_id: P01'")
    if isinstance(raw.get("model"), str):
        raw["model"] = (path.parent / raw["model"]).resolve()
    try:
        return Campaign.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise CampaignError(f"{path}: field '{field}': {first['msg']}") from None
