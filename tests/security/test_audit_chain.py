"""The audit log's hash chain: canonical encoding, and detection of edits, deletions, insertions and moves."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callwise.security.audit_chain import GENESIS, ChainReport, canonical_bytes, entry_hash, verify_chain

T0 = datetime(2026, 11, 3, 8, 15, 30, 123456, tzinfo=UTC)
FIELDS = ("ts", "actor", "action", "target", "detail", "ip")


def make_chain(n: int = 6) -> list[dict]:
    """``n`` linked entries as the database would return them (every column, hash included)."""
    records, prev = [], GENESIS
    for i in range(1, n + 1):
        record = {
            "id": i,
            "ts": T0 + timedelta(seconds=i),
            "actor": f"user{i % 3}",
            "action": "pii.reveal" if i % 2 else "list.export",
            "target": f"customers:C{i:08d}",
            "detail": {"fields": ["phone"], "reason": "客户回电", "n": i},
            "ip": "10.0.0.7",
            "prev_hash": prev,
        }
        record["hash"] = prev = entry_hash(prev, record)
        records.append(record)
    return records


def changed(value):
    """A different value of the same kind, so only the content differs."""
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, dict):
        return {**value, "n": value["n"] + 1}
    if value == "10.0.0.7":
        return "10.0.0.8"
    return value + "x"


def test_a_valid_chain_verifies():
    chain = make_chain()
    report = verify_chain(chain)
    assert report == ChainReport(True, 6, None, None, None, chain[-1]["hash"])
    assert report.message("en") == "audit log intact: 6 entries verified"
    assert report.message("zh") == "审计日志完整：已校验 6 条"


def test_an_empty_log_verifies():
    assert verify_chain([]) == ChainReport(True, 0, None, None, None, GENESIS)


def test_records_are_read_as_a_stream():
    report = verify_chain(record for record in make_chain(50))
    assert report.ok and report.checked == 50


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("position", range(6))
def test_editing_any_field_of_any_entry_is_detected_at_that_entry(field, position):
    chain = make_chain()
    chain[position][field] = changed(chain[position][field])
    report = verify_chain(chain)
    assert (report.ok, report.first_bad_id, report.code, report.checked) == (False, position + 1, "edited", position)
    assert (
        report.reason == f"entry {position + 1} was changed after it was written (its hash does not match its contents)"
    )


@pytest.mark.parametrize("position", range(6))
def test_editing_the_stored_hashes_is_detected(position):
    chain = make_chain()
    chain[position]["hash"] = "f" * 64
    assert verify_chain(chain).first_bad_id == position + 1
    chain = make_chain()
    chain[position]["prev_hash"] = "e" * 64
    report = verify_chain(chain)
    assert (report.first_bad_id, report.code) == (position + 1, "broken_link")


def test_changing_a_value_inside_detail_or_its_type_is_detected():
    for edit in (
        lambda d: d["fields"].append("id_number"),
        lambda d: d.update(n=str(d["n"])),
        lambda d: d.update(n=float(d["n"])),
        lambda d: d.update(extra=None),
        lambda d: d.pop("reason"),
    ):
        chain = make_chain()
        edit(chain[2]["detail"])
        assert verify_chain(chain).first_bad_id == 3


@pytest.mark.parametrize("position", range(5))  # deleting the newest entry is the limit shown below
def test_deleting_an_entry_is_detected_at_its_id(position):
    chain = make_chain()
    del chain[position]
    report = verify_chain(chain)
    assert (report.ok, report.first_bad_id, report.code) == (False, position + 1, "gap")
    assert report.reason == f"entry {position + 1} is missing (deleted?); the next entry is {position + 2}"
    assert report.message("zh") == f"第 {position + 1} 条缺失（被删除？），其后一条为第 {position + 2} 条"


@pytest.mark.parametrize("position", range(5))
def test_deleting_and_renumbering_is_detected(position):
    chain = make_chain()
    del chain[position]
    for record in chain[position:]:
        record["id"] -= 1
    report = verify_chain(chain)
    assert (report.first_bad_id, report.code) == (position + 1, "broken_link")


@pytest.mark.parametrize(("a", "b"), [(0, 1), (1, 4), (3, 5), (4, 5)])
def test_swapping_two_entries_is_detected_at_the_first(a, b):
    rows = make_chain()
    rows[a], rows[b] = rows[b], rows[a]  # out of id order
    assert verify_chain(rows).first_bad_id == a + 1
    contents = make_chain()  # the database way: ids stay, everything else trades places
    for key in ("ts", "actor", "action", "target", "detail", "ip", "prev_hash", "hash"):
        contents[a][key], contents[b][key] = contents[b][key], contents[a][key]
    report = verify_chain(contents)
    assert (report.ok, report.first_bad_id) == (False, a + 1)


def test_duplicated_and_inserted_entries_are_detected():
    chain = make_chain()
    report = verify_chain([*chain[:3], chain[2], *chain[3:]])
    assert (report.first_bad_id, report.code) == (4, "out_of_order")
    assert report.reason == "entry 3 comes after entry 3: entries are out of order or an id is repeated"

    forged = make_chain()
    inserted = {**forged[2], "action": "pii.reveal", "target": "customers:C99999999"}
    inserted["hash"] = entry_hash(inserted["prev_hash"], inserted)  # a forger can hash, but cannot relink
    for record in forged[2:]:
        record["id"] += 1
    report = verify_chain([*forged[:2], inserted, *forged[2:]])
    assert (report.first_bad_id, report.code) == (4, "broken_link")


def test_what_the_chain_alone_does_not_catch_and_the_anchor_does():
    chain = make_chain()
    anchored = verify_chain(chain).head_hash  # written somewhere the database's administrators cannot change
    truncated = verify_chain(chain[:-1])
    assert truncated.ok and truncated.head_hash != anchored

    rewritten = copy.deepcopy(chain)
    rewritten[-1]["action"] = "nothing.happened"
    rewritten[-1]["hash"] = entry_hash(rewritten[-1]["prev_hash"], rewritten[-1])
    assert verify_chain(rewritten).ok and verify_chain(rewritten).head_hash != anchored

    rewritten = copy.deepcopy(chain)  # re-hashing an edited entry breaks the link of the one after
    rewritten[2]["action"] = "nothing.happened"
    rewritten[2]["hash"] = entry_hash(rewritten[2]["prev_hash"], rewritten[2])
    assert (verify_chain(rewritten).first_bad_id, verify_chain(rewritten).code) == (4, "broken_link")


def test_a_later_part_of_the_log_verifies_from_its_archived_head():
    chain = make_chain(10)
    report = verify_chain(chain[4:], start_hash=chain[3]["hash"], start_id=5)
    assert report.ok and report.checked == 6
    assert verify_chain(chain[4:], start_hash=chain[3]["hash"], start_id=None).ok
    assert verify_chain(chain[4:]).first_bad_id == 1  # from GENESIS the log must start at entry 1
    wrong = verify_chain(chain[4:], start_hash=chain[2]["hash"], start_id=5)
    assert (wrong.first_bad_id, wrong.code) == (5, "broken_link")
    with pytest.raises(ValueError, match="start_hash must be 64 lower-case hex"):
        verify_chain(chain, start_hash="00")


def test_first_entry_below_the_start_id_is_reported():
    chain = make_chain(3)
    report = verify_chain(chain, start_id=2)
    assert (report.first_bad_id, report.code) == (2, "malformed")
    assert "it has id 1, but the log starts at entry 2" in report.reason


def test_malformed_records_are_reported_not_raised():
    chain = make_chain(4)
    chain[1]["detail"] = {"when": datetime(2026, 1, 1)}
    report = verify_chain(chain)
    assert (report.first_bad_id, report.code, report.checked) == (2, "malformed", 1)
    assert "the detail must hold JSON values only" in report.reason
    assert verify_chain([*make_chain(2), {"action": "x"}]).reason == (
        "entry ? cannot be read: it has no integer id (it follows entry 2)"
    )
    assert verify_chain(["not a record"]).code == "malformed"
    no_hash = make_chain(2)
    del no_hash[1]["hash"]
    assert (verify_chain(no_hash).first_bad_id, verify_chain(no_hash).code) == (2, "edited")


def test_canonical_bytes_are_exactly_the_documented_form():
    record = {
        "id": 7,
        "ts": datetime(2026, 11, 3, 16, 15, 30, 5, tzinfo=timezone(timedelta(hours=8))),
        "actor": "张伟",
        "action": "pii.reveal",
        "target": "customers:C00000001",
        "detail": {"z": 1, "a": [True, None, 1.5, "号"]},
        "ip": "2001:DB8::0:1",
        "hash": "ignored",
        "prev_hash": "ignored too: the argument is what counts",
    }
    expected = (
        '{"action":"pii.reveal","actor":"张伟","detail":{"a":[true,null,1.5,"号"],"z":1},"id":7,'
        '"ip":"2001:db8::1","prev_hash":"' + GENESIS + '","target":"customers:C00000001",'
        '"ts":"2026-11-03T08:15:30.000005Z"}'
    ).encode()
    assert canonical_bytes(GENESIS, record) == expected
    assert entry_hash(GENESIS, record) == hashlib.sha256(expected).hexdigest()


def test_the_same_instant_hashes_the_same_however_it_is_written():
    base = make_chain(1)[0]
    digest = entry_hash(GENESIS, base)
    naive_utc = T0.replace(tzinfo=None) + timedelta(seconds=1)  # as SQLite gives it back
    shanghai = (T0 + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=8)))
    for ts in (naive_utc, shanghai, naive_utc.isoformat(sep=" "), shanghai.isoformat()):
        assert entry_hash(GENESIS, {**base, "ts": ts}) == digest
    assert entry_hash(GENESIS, {**base, "ip": ipaddress.ip_address("10.0.0.7")}) == digest
    assert entry_hash(GENESIS, {**base, "detail": dict(reversed(base["detail"].items()))}) == digest
    assert entry_hash(GENESIS, {**base, "detail": {**base["detail"], "fields": ("phone",)}}) == digest
    assert entry_hash(GENESIS, {**base, "detail": None}) != entry_hash(GENESIS, {**base, "detail": {}})
    assert entry_hash("a" * 64, base) != digest
    assert entry_hash(GENESIS, {**base, "ip": "testclient"}) != digest  # not an address: hashed as written


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6), st.text(), st.text(min_size=1))
def test_what_a_json_column_gives_back_hashes_the_same(detail, actor, action):
    record = {"id": 1, "ts": T0, "actor": actor, "action": action, "target": None, "detail": detail, "ip": None}
    stored = {**record, "detail": json.loads(json.dumps(detail))}
    assert entry_hash(GENESIS, stored) == entry_hash(GENESIS, record)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"id": 0}, ValueError, "id must be a positive integer, not 0"),
        ({"id": True}, ValueError, "id must be a positive integer, not True"),
        ({"id": "1"}, ValueError, "id must be a positive integer"),
        ({"ts": "yesterday"}, ValueError, "ts 'yesterday' is not an ISO-8601 timestamp"),
        ({"ts": 1762157730}, TypeError, "ts must be a datetime, not int"),
        ({"actor": 5}, TypeError, "actor must be text or empty, not int"),
        ({"action": ""}, ValueError, "action must be non-empty text"),
        ({"action": None}, ValueError, "action must be non-empty text"),
        ({"detail": [1, 2]}, TypeError, "detail must be a JSON object"),
        ({"detail": {"x": float("nan")}}, ValueError, "detail.x holds nan, which JSON cannot represent"),
        ({"detail": {1: "a"}}, TypeError, "has a key 1 that is not text"),
        ({"detail": {"s": {1, 2}}}, TypeError, "detail.s holds a set"),
        ({"target": "\ud800"}, ValueError, "lone surrogate"),
        ({"ip": 167772167}, TypeError, "ip must be text or empty, not int"),
        ({"device": "abc"}, ValueError, "fields the chain does not cover: device"),
    ],
)
def test_bad_records_raise_clear_errors(change, error, message):
    record = {**make_chain(1)[0], **change}
    with pytest.raises(error, match=message):
        entry_hash(GENESIS, record)


def test_missing_fields_and_bad_prev_hash_raise():
    record = make_chain(1)[0]
    del record["ip"], record["detail"]
    with pytest.raises(ValueError, match="the audit record lacks detail, ip"):
        entry_hash(GENESIS, record)
    with pytest.raises(ValueError, match="prev_hash must be 64 lower-case hex"):
        entry_hash(GENESIS.upper().replace("0", "A"), make_chain(1)[0])
    with pytest.raises(TypeError, match="an audit record is a mapping"):
        entry_hash(GENESIS, [("id", 1)])
