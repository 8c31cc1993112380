"""One settings object for the whole system, read from CALLWISE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLWISE_")

    data_dir: Path = Path("callwise-data")
    engine: Literal["duckdb", "pyspark"] = "duckdb"
    timezone: str = "Asia/Shanghai"
    threads: int = 2
    lang: Literal["zh", "en"] = "zh"  # language of the commands' human-readable output


def get_settings() -> Settings:
    return Settings()
