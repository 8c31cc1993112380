"""The follow-ups guide cannot fall behind: codes, default rules and the receiver example are checked."""

from __future__ import annotations

import re
import time
from pathlib import Path

from callwise.i18n import catalog
from callwise.loop.dialer_import import REASONS
from callwise.loop.followups import SUPPRESSION_REASONS, load_followup_rules
from callwise.loop.webhook import sign

DOC = (Path(__file__).resolve().parents[2] / "docs" / "followups.md").read_text(encoding="utf-8")


def test_every_reason_code_is_documented_and_translated():
    messages = catalog()
    for code in REASONS:
        assert f"`{code}`" in DOC, f"dialer reason {code} is not in docs/followups.md"
        assert f"loop.reason.{code}" in messages, f"dialer reason {code} has no zh/en text"
    for code in SUPPRESSION_REASONS:
        assert f"`{code}`" in DOC, f"suppression reason {code} is not in docs/followups.md"
        assert f"loop.suppressed.{code}" in messages, f"suppression reason {code} has no zh/en text"


def test_every_default_rule_is_in_the_table_with_its_delay():
    for rule in load_followup_rules().rules:
        row = next((line for line in DOC.splitlines() if line.startswith(f"| `{rule.id}` |")), None)
        assert row is not None, f"default rule {rule.id} is not in docs/followups.md"
        assert f"`{rule.delay}`" in row and f"| {rule.channel} |" in row and f"`{rule.template}`" in row


def test_the_receiver_example_works():
    code = re.search(r"```python\nfrom callwise.loop import verify_signature\n.*?```", DOC, re.S)
    assert code is not None
    namespace: dict = {}
    exec(code.group(0).removeprefix("```python").removesuffix("```"), namespace)
    handle, secret = namespace["handle"], namespace["SECRET"]
    body, stamp = b'{"dedupe_key":"fu:1"}', int(time.time())
    headers = {"X-Callwise-Signature": sign(secret, body, stamp), "X-Callwise-Timestamp": str(stamp)}
    headers["Idempotency-Key"] = "fu:1"
    assert handle(body, headers) == 200 and handle(body, headers) == 200
    assert namespace["done"] == {"fu:1"}
    assert handle(body + b" ", headers) == 401
    stale = {
        **headers,
        "X-Callwise-Signature": sign(secret, body, stamp - 600),
        "X-Callwise-Timestamp": str(stamp - 600),
    }
    assert handle(body, stale) == 401
