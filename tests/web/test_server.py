"""The service built from settings: refuses to start half-configured, and plans follow-ups when it runs."""

from __future__ import annotations

import base64
import os

import pytest

from callwise.loop import FileSender, WebhookSender
from callwise.ops.db import make_engine
from callwise.ops.migrate import upgrade
from callwise.security.errors import KeyConfigError
from callwise.settings import Settings
from callwise.wiring import ServiceConfigError, build_services, senders_from_settings


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _settings(tmp_path, **extra) -> Settings:
    values = {
        "data_dir": tmp_path,
        "db_url": f"sqlite:///{tmp_path / 'ops.db'}",
        "pii_keys": f"k1:{_key()}",
        "lookup_key": _key(),
    }
    return Settings(**{**values, **extra})


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path):
    with pytest.raises(ServiceConfigError, match="callwise db upgrade"):
        build_services(_settings(tmp_path))


def test_missing_keys_are_refused_naming_the_setting(tmp_path):
    upgrade(make_engine(f"sqlite:///{tmp_path / 'ops.db'}"))
    with pytest.raises(KeyConfigError, match="CALLWISE_PII_KEYS"):
        build_services(_settings(tmp_path, pii_keys=None))
    with pytest.raises(KeyConfigError, match="CALLWISE_LOOKUP_KEY"):
        build_services(_settings(tmp_path, lookup_key=None))


def test_a_configured_service_plans_follow_ups(tmp_path):
    upgrade(make_engine(f"sqlite:///{tmp_path / 'ops.db'}"))
    services = build_services(_settings(tmp_path, bank_name="示例银行"))
    assert services.plan_followups is not None and services.lake is None and services.policy is not None
    services.engine.dispose()


def test_senders_are_files_by_default_and_a_webhook_must_be_signed(tmp_path):
    assert isinstance(senders_from_settings(_settings(tmp_path))["sms"], FileSender)
    with pytest.raises(ServiceConfigError, match="CALLWISE_WEBHOOK_SECRET"):
        senders_from_settings(_settings(tmp_path, webhook_url="https://crm.example/hook"))
    hooked = senders_from_settings(_settings(tmp_path, webhook_url="https://crm.example/hook", webhook_secret="s" * 32))
    assert isinstance(hooked["call"], WebhookSender)
    hooked["call"].close()


def test_the_policy_in_force_is_audited_when_it_changes(tmp_path):
    from importlib.resources import files

    from sqlalchemy import select

    from callwise.ops.models import AuditEntry

    upgrade(make_engine(f"sqlite:///{tmp_path / 'ops.db'}"))
    settings = _settings(tmp_path)
    for _ in range(2):
        build_services(settings).engine.dispose()
    stricter = tmp_path / "policy.yaml"
    default = (files("callwise.policy") / "default.yaml").read_text(encoding="utf-8")
    stricter.write_text(default.replace("days: 180", "days: 200", 1), encoding="utf-8")
    build_services(_settings(tmp_path, policy_file=stricter)).engine.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    with engine.connect() as connection:
        entries = connection.execute(select(AuditEntry.detail).where(AuditEntry.action == "policy.in_force")).all()
    assert len(entries) == 2
    assert entries[0][0]["policy"]["source"] == "builtin" and entries[1][0]["policy"]["source"].endswith("policy.yaml")
    assert entries[0][0]["policy"]["sha256"] != entries[1][0]["policy"]["sha256"]
