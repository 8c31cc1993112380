"""FileSender: one JSON line per message per channel and day, never twice for one dedupe key."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from callwise.loop.outbox import DeliveryStatus, OutboxMessage
from callwise.loop.senders import FileSender


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def message(key: str, channel: str = "sms", **payload) -> OutboxMessage:
    return OutboxMessage(
        id=key, dedupe_key=key, channel=channel, customer_id="C1", template="thank_you", payload=payload
    )


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# 2026-07-01 17:00 UTC is 2026-07-02 01:00 in Shanghai: the file is named after the bank's day.
T0 = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)


def test_writes_one_line_per_message_into_the_channel_file_of_the_bank_day(tmp_path):
    sender = FileSender(tmp_path / "out", clock=Clock(T0))
    result = sender.send(message("fu:1", product_name="稳健理财A"))
    assert result.ok and result.detail == "written to sms-20260702.jsonl"
    assert sender.send(message("fu:2", channel="task")).ok
    [record] = lines(tmp_path / "out" / "sms-20260702.jsonl")
    assert record == {
        "id": "fu:1",
        "dedupe_key": "fu:1",
        "channel": "sms",
        "customer_id": "C1",
        "template": "thank_you",
        "payload": {"product_name": "稳健理财A"},
        "attempt": 1,
        "written_at": "2026-07-01T17:00:00+00:00",
    }
    assert "稳健理财A" in (tmp_path / "out" / "sms-20260702.jsonl").read_text(encoding="utf-8")
    assert [r["dedupe_key"] for r in lines(tmp_path / "out" / "task-20260702.jsonl")] == ["fu:2"]


def test_the_same_key_is_written_once_even_days_later_and_by_another_sender(tmp_path):
    clock = Clock(T0)
    first = FileSender(tmp_path, clock=clock)
    assert first.send(message("fu:1")).ok
    clock.now = T0 + timedelta(days=3)
    again = first.send(message("fu:1"))
    assert again.ok and again.detail == "already written"
    other = FileSender(tmp_path, clock=clock)  # e.g. after a restart, or another worker
    assert other.send(message("fu:1")).detail == "already written"
    assert other.send(message("fu:3")).ok
    assert first.send(message("fu:3")).detail == "already written"  # sees what the other one wrote
    files = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert files == ["sms-20260702.jsonl", "sms-20260705.jsonl"]
    assert sum(len(lines(p)) for p in tmp_path.glob("*.jsonl")) == 2
    assert first.written_keys() == {"fu:1", "fu:3"}


def test_many_senders_at_once_write_each_key_exactly_once(tmp_path):
    keys = [f"fu:{i}" for i in range(40)]
    senders = [FileSender(tmp_path, clock=Clock(T0)) for _ in range(6)]
    results: list[str] = []

    def work(sender: FileSender) -> None:
        for key in keys:
            results.append(sender.send(message(key)).status)

    threads = [threading.Thread(target=work, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = lines(tmp_path / "sms-20260702.jsonl")
    assert sorted(r["dedupe_key"] for r in written) == sorted(keys)
    assert results.count(DeliveryStatus.OK) == len(keys) * len(senders)


def test_a_torn_last_line_from_a_crash_is_kept_apart_and_the_message_rewritten(tmp_path):
    path = tmp_path / "sms-20260702.jsonl"
    path.write_bytes(b'{"dedupe_key": "fu:ok"}\n{"dedupe_key": "fu:torn", "chan')
    sender = FileSender(tmp_path, clock=Clock(T0))
    assert sender.send(message("fu:ok")).detail == "already written"
    assert sender.send(message("fu:torn")).detail == "written to sms-20260702.jsonl"
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[1] == '{"dedupe_key": "fu:torn", "chan'  # left as it was, on its own line
    assert json.loads(text[2])["dedupe_key"] == "fu:torn"
    assert FileSender(tmp_path, clock=Clock(T0)).written_keys() == {"fu:ok", "fu:torn"}


def test_foreign_lines_and_other_files_do_not_confuse_it(tmp_path):
    (tmp_path / "notes.jsonl").write_text('[1, 2]\n"text"\n{"dedupe_key": 5}\nnot json\n', encoding="utf-8")
    (tmp_path / "readme.txt").write_text('{"dedupe_key": "fu:1"}\n', encoding="utf-8")
    sender = FileSender(tmp_path, clock=Clock(T0))
    assert sender.written_keys() == set()
    assert sender.send(message("fu:1")).detail.startswith("written")


def test_a_payload_that_is_not_json_is_a_permanent_failure_and_writes_nothing(tmp_path):
    sender = FileSender(tmp_path, clock=Clock(T0))
    for bad in ({"amount": float("inf")}, {"when": datetime(2026, 1, 1)}, {"ids": {1, 2}}):
        result = sender.send(message("fu:x", **bad))
        assert result.status is DeliveryStatus.PERMANENT and "cannot be written as JSON" in result.detail
    assert list(tmp_path.glob("*.jsonl")) == []


def test_a_directory_that_cannot_be_written_is_retryable(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    result = FileSender(blocker, clock=Clock(T0)).send(message("fu:1"))
    assert result.status is DeliveryStatus.RETRYABLE and "cannot write to" in result.detail


def test_unknown_bank_timezone_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown bank time zone 'Mars/Olympus'"):
        FileSender(tmp_path, bank_timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"channel": "../../etc"}, "unknown channel '../../etc'"),
        ({"channel": "fax"}, "unknown channel 'fax'"),
        ({"dedupe_key": ""}, "dedupe_key must be non-empty"),
        ({"dedupe_key": None}, "dedupe_key must be non-empty"),
        ({"attempt": 0}, "attempt must be a whole number from 1"),
        ({"attempt": True}, "attempt must be a whole number from 1"),
        ({"attempt": "2"}, "attempt must be a whole number from 1"),
        ({"payload": ["a"]}, "payload must be a mapping, not list"),
    ],
)
def test_malformed_messages_are_refused_when_built(changes, words):
    fields = {"id": 1, "dedupe_key": "fu:1", "channel": "sms", "customer_id": "C1", "template": "t"}
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(".", r"\.")):
        OutboxMessage(**{**fields, **changes})
