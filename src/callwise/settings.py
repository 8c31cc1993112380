"""One settings object for the whole system, read from CALLWISE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLWISE_")

    data_dir: Path = Path("callwise-data")
    engine: Literal["duckdb", "pyspark"] = "duckdb"
    timezone: str = "Asia/Shanghai"
    threads: int = 2
    # DuckDB's memory limit for lake queries ("8GB", "512MiB"); past it, it spills to disk. Checked here, so a
    # typo is refused when the settings are read, not deep inside the first query.
    memory_limit: str | None = Field(default=None, pattern=r"^[0-9]+(\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    spill_dir: Path | None = None  # where DuckDB spills; by default a folder in the working directory
    lang: Literal["zh", "en"] = "zh"  # language of the commands' human-readable output

    # Operational database: a SQLite file under data_dir unless a URL is given (postgresql+psycopg://…).
    db_url: str | None = None
    # PII encryption keys as "id:base64key[,id:base64key…]"; the first encrypts, all decrypt (rotation).
    # There is no default: the service and every command that touches PII refuse to run without keys.
    pii_keys: SecretStr | None = None
    # Key of the keyed hash (HMAC-SHA256) used to look up and de-duplicate phones and ID numbers.
    lookup_key: SecretStr | None = None
    # Secret that signs webhook deliveries of follow-up actions (HMAC-SHA256 of "<timestamp>.<body>").
    webhook_secret: SecretStr | None = None
    webhook_url: str | None = None  # follow-ups go to this URL when set, else to files under data_dir/outbox
    policy_file: Path | None = None  # the contact policy for lists and follow-ups; the built-in one when not set
    followup_rules: Path | None = None  # follow-up rules YAML; the built-in rules when not set
    bank_name: str = ""  # signs follow-up messages, e.g. 【示例银行】
    max_body_bytes: int = 2_000_000  # requests larger than this are refused with 413
    # Look-ups of customers by phone or ID number each user may make per window (429 beyond); holders of
    # pii:read get the second, higher number. Counted from the audit log, so they hold across workers.
    lookup_limit: int = Field(default=30, ge=0)
    lookup_limit_pii: int = Field(default=300, ge=0)
    lookup_window_minutes: int = Field(default=10, ge=1)
    # Proxies whose X-Forwarded-For is believed ("10.0.0.5,10.1.0.0/16"); empty: the peer's own address is the
    # client's, whatever a header says, so a spoofed header neither escapes login throttling nor enters the audit log.
    forwarded_allow_ips: str = ""
    # List-build jobs: a worker holds a job under a lease it renews every quarter of it; a job whose lease runs
    # out (its process died) is queued again, and failed once it was started job_max_attempts times.
    job_lease_s: float = Field(60.0, gt=0)
    job_max_attempts: int = Field(3, ge=1)
    job_poll_s: float = Field(2.0, gt=0)  # how often a worker looks for queued or abandoned jobs
    job_shutdown_s: float = Field(10.0, ge=0)  # at shutdown, how long the running build may take to finish
    # A dashboard session unused this long is ended (the next request goes to the login page).
    board_idle_minutes: int = Field(30, ge=1, le=24 * 60)

    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'callwise.db'}"


def get_settings() -> Settings:
    return Settings()
