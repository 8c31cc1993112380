"""Fuzzing every file a command reads: hundreds of damaged files, no traceback, no hang, every row accounted for.

The damaged files are made from small valid ones by a seeded generator (``mutations.py``), so every run tries
the same files. Each goes through the library entry point in-process (fast), and a sample through the real
CLI in a subprocess, to prove no traceback ever reaches a user. The figures (files tried, crashes, hangs,
accounting mismatches) are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from callwise.ingest import IngestError, ingest_files
from callwise.ingest.readers import NULL_VALUES, open_source
from callwise.lake import Lake
from callwise.lists.campaign import CampaignError, load_campaign
from callwise.loop.dialer_import import DialerImportError, read_dialer_export
from callwise.loop.dialer_mapping import DialerMappingError, load_dialer_mapping
from callwise.loop.rules import FollowupRulesError, load_followup_rules
from callwise.models import ModelFileError, load_model
from callwise.policy import PolicyError, load_policy
from tests.fuzz import mutations

SEED = 20261201
CASE_SECONDS = 20  # an in-process case running longer than this counts as a hang
CLI_SECONDS = 120  # the CLI starts slowly on a busy machine; longer than this is a hang
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_EXPORT = ROOT / "docs" / "examples" / "dialer_export.csv"
EXAMPLE_MAPPING = ROOT / "docs" / "examples" / "dialer_mapping.yaml"

CUSTOMERS = """customer_id,phone,name,birth_date,consent_marketing,status,income_monthly,consent_updated_at
C001,13800138000,张三,1980-05-01,是,正常,12000,2025-01-02 10:00:00
C002,+86 139-0013-9000,李四,1975-11-20,否,active,8500,2025-03-04 09:30:00
C003,0086 137 0013 7000,王五,1990-02-28,1,冻结,9000元,2025-04-05
C004,１３６００１３６０００,赵六,2000-12-31,Y,active,,2025-05-06 08:00
C005,13500135000,钱七,1968-07-15,同意,身故,20000,2025-06-07 17:45:00
C006,13400134000,孙八,1985-09-09,0,active,15000,2025-07-08 12:00:00
"""
TRANSACTIONS = """customer_id,ts,amount,direction,channel
C001,2026-01-02 10:00:00,1200.50,in,app
C001,2026-01-03 11:30:00,300,out,counter
C002,2026/1/4 9:15,"8,000",收入,app
C003,2026-01-05T14:00:00+08:00,50元,支出,atm
C004,20260106120000,99.9,in,app
""".replace('"8,000"', "8000")
TRANSCRIPTS = "".join(
    json.dumps({"contact_id": f"K{i}", "turns": [{"speaker": "agent", "text": "您好", "t": 0}]}, ensure_ascii=False)
    + "\n"
    for i in range(5)
)
CAMPAIGN = """campaign_id: wealth-2026-07
name: 稳健理财 7 月外呼
product_id: P-WEALTH-01
date: 2026-07-01
days: 10
first_hour: 9
last_hour: 20
capacity: 5000
max_attempts: 3
cost_per_call: 5.0
control_share: 0.1
arms: {A: 0.5, B: 0.5}
teams: [财富一组, 综合组]
seed: 7
"""
XLSX_ROWS: list[list[object]] = [
    ["customer_id", "phone", "name", "birth_date", "consent_marketing", "status"],
    ["C001", 13800138000, "张三", "1980-05-01", "是", "正常"],
    ["C002", "13900139000", "李四", "1975-11-20", 0, "active"],
    ["C003", 13700137000.0, "王五", "1990-02-28", "Y", "frozen"],
]


class Hang(BaseException):
    """A case ran past its time (a BaseException, so no ``except Exception`` in the code under test hides it)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Case:
    kind: str  # ingest | outcomes | policy | rules | campaign | mapping | model
    name: str
    path: Path
    table: str | None = None


class Mismatch(AssertionError):
    """The reader ran, but its figures do not add up (or a refusal is not one sentence naming the file)."""


def _write(directory: Path, filename: str, data: bytes) -> Path:
    directory.mkdir(parents=True)
    path = directory / filename
    path.write_bytes(data)
    return path


def make_cases(root: Path) -> list[Case]:
    """Every damaged file, written under ``root``; the same files on every run."""
    rng = random.Random(SEED)
    cases: list[Case] = []

    def add(kind: str, filename: str, made: list[tuple[str, bytes]], table: str | None = None) -> None:
        for name, data in made:
            path = _write(root / kind / f"{len(cases):04d}-{name}", filename, data)
            cases.append(Case(kind, name, path, table))

    add("ingest", "customers.csv", mutations.csv_mutations(rng, CUSTOMERS, 25, big=True), "customers")
    add("ingest", "transactions.csv", mutations.csv_mutations(rng, TRANSACTIONS, 10, big=False), "transactions")
    add("ingest", "transcripts.jsonl", mutations.jsonl_mutations(rng, TRANSCRIPTS, 10), "transcripts")
    add("ingest", "customers.xlsx", mutations.xlsx_mutations(rng, XLSX_ROWS, 8), "customers")
    export = EXAMPLE_EXPORT.read_text(encoding="utf-8")
    add("outcomes", "export.csv", mutations.csv_mutations(rng, export, 15, big=True))
    seeds = {
        "policy": (files("callwise.policy") / "default.yaml").read_text(encoding="utf-8"),
        "rules": (files("callwise.loop") / "followups.yaml").read_text(encoding="utf-8"),
        "campaign": CAMPAIGN,
        "mapping": EXAMPLE_MAPPING.read_text(encoding="utf-8"),
    }
    for kind, text in seeds.items():
        add(kind, f"{kind}.yaml", mutations.yaml_mutations(rng, text, 6))
    model_dir = root / "seed-model"
    _tiny_model(model_dir)
    state = (model_dir / "state.json").read_text(encoding="utf-8")
    for name, data in mutations.json_mutations(rng, state, 8):
        directory = root / "model" / f"{len(cases):04d}-{name}"
        directory.mkdir(parents=True)
        for other in model_dir.iterdir():
            (directory / other.name).write_bytes(other.read_bytes())
        (directory / "state.json").write_bytes(data)
        cases.append(Case("model", name, directory))
    return cases


def _tiny_model(directory: Path) -> None:
    from callwise.models import make_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(18, 80, 60).astype(float), "balance": rng.normal(0, 1, 60)})
    make_model("logistic").fit(X, (X["balance"] > 0).astype(int)).save(directory)


# ---- what each reader must do with a file ---------------------------------------------------------------


def _one_sentence(message: str, path: Path) -> None:
    if "\n" in message.strip() or path.name not in message:
        raise Mismatch(f"refusal is not one sentence naming {path.name}: {message[:200]!r}")


def _physical_rows(data: bytes, delimiter: str, columns: int, nulls: tuple[str, ...]) -> int | None:
    """Data rows a CSV reader must account for, counted independently; None when quotes make it ambiguous."""
    if b'"' in data:
        return None
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"":
        lines.pop()
    header = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    count = 0
    for line in lines[header + 1 :]:
        text = line.decode("utf-8", errors="replace")
        cells = text.split(delimiter)
        if text.strip() and not (len(cells) == columns and all(c in nulls for c in cells)):
            count += 1
    return count


def check_ingest(case: Case, scratch: Path) -> None:
    lake = Lake(scratch / "lake")
    try:
        summary = ingest_files({case.table: case.path}, lake, scratch / "quarantine").to_dict()
    except IngestError as exc:
        _one_sentence(str(exc), case.path)
        if (scratch / "lake").exists() and any((scratch / "lake").iterdir()):
            raise Mismatch("a refused file left something in the lake") from None
        return
    (table,) = summary["tables"]
    written = pq.ParquetFile(scratch / "lake" / f"{case.table}.parquet").metadata.num_rows
    if not (table["read"] == table["accepted"] + table["quarantined"] == summary["read"]):
        raise Mismatch(f"read {table['read']} != accepted {table['accepted']} + quarantined {table['quarantined']}")
    if sum(table["reasons"].values()) != table["quarantined"] or written != table["accepted"]:
        raise Mismatch(f"reasons {table['reasons']} / lake rows {written} do not match {table}")
    data = case.path.read_bytes()
    if case.path.suffix == ".csv":
        source = open_source(case.path)
        expected = _physical_rows(data, source.delimiter or ",", len(source.columns), NULL_VALUES)
    elif case.path.suffix == ".jsonl":
        expected = sum(1 for line in data.split(b"\n") if line.decode("utf-8", "replace").strip())
    else:
        expected = None
    if expected is not None and expected != table["read"]:
        raise Mismatch(f"the file has {expected} rows but the run read {table['read']}: {table['reasons']}")


def check_outcomes(case: Case, scratch: Path) -> None:
    try:
        result = read_dialer_export(case.path, MAPPING)
    except DialerImportError as exc:
        _one_sentence(str(exc), case.path)
        return
    if result.read != result.outcomes.num_rows + result.rejected.num_rows:
        raise Mismatch(f"read {result.read} != accepted + rejected")
    result.outcomes.to_pylist()  # what the import hands the database: every value must be a Python value
    source = open_source(case.path)
    expected = _physical_rows(case.path.read_bytes(), source.delimiter or ",", len(source.columns), ("",))
    if expected is not None and expected != result.read:
        raise Mismatch(f"the export has {expected} rows but {result.read} were read: {result.summary()['reasons']}")


def _config(load: Callable[[Path], object], error: type[Exception]) -> Callable[[Case, Path], None]:
    def check(case: Case, scratch: Path) -> None:
        try:
            load(case.path)
        except error as exc:
            message = str(exc)
            _one_sentence(message, case.path)
            if not re.match(rf"{re.escape(str(case.path))}:\d+(:\d+)?: ", message):
                raise Mismatch(f"refusal does not start with <file>:<line>: {message[:200]!r}") from None

    return check


def check_model(case: Case, scratch: Path) -> None:
    try:
        load_model(case.path)
    except ModelFileError as exc:
        if "\n" in str(exc).strip() or case.path.name not in str(exc):
            raise Mismatch(f"refusal is not one sentence naming the directory: {str(exc)[:200]!r}") from None


MAPPING = load_dialer_mapping(EXAMPLE_MAPPING)
CHECKS: dict[str, Callable[[Case, Path], None]] = {
    "ingest": check_ingest,
    "outcomes": check_outcomes,
    "policy": _config(load_policy, PolicyError),
    "rules": _config(load_followup_rules, FollowupRulesError),
    "campaign": _config(load_campaign, CampaignError),
    "mapping": _config(load_dialer_mapping, DialerMappingError),
    "model": check_model,
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> list[Case]:
    return make_cases(tmp_path_factory.mktemp("fuzz"))


def test_every_reader_survives_hundreds_of_damaged_files(cases, tmp_path, capsys):
    started = time.monotonic()
    outcome: Counter[str] = Counter()
    failures: list[str] = []
    for i, case in enumerate(cases):
        try:
            with deadline(CASE_SECONDS):
                CHECKS[case.kind](case, tmp_path / str(i))
            outcome["ok"] += 1
        except Hang as exc:
            outcome["hang"] += 1
            failures.append(f"hang   {case.kind}/{case.name}: {exc}")
        except Mismatch as exc:
            outcome["mismatch"] += 1
            failures.append(f"count  {case.kind}/{case.name}: {exc}")
        except (Exception, RecursionError) as exc:  # anything else would have been a traceback
            outcome["crash"] += 1
            failures.append(f"crash  {case.kind}/{case.name}: {type(exc).__name__}: {str(exc)[:200]}")
    kinds = Counter(c.kind for c in cases)
    figures = {
        "files": len(cases),
        "by_kind": dict(sorted(kinds.items())),
        "crashes": outcome["crash"],
        "hangs": outcome["hang"],
        "mismatches": outcome["mismatch"],
        "seconds": round(time.monotonic() - started, 1),
    }
    with capsys.disabled():
        print(f"\nfuzz (library): {json.dumps(figures)}")
    assert len(cases) >= 300
    assert not failures, "\n".join(failures)


CLI_SAMPLE = 20


# The crashes first reported, then named mutations spread over the rest of the list.
CLI_MUST = ("cut_inside_character", "line_10mb", "huge_header_name", "date_0001-01-01", "field_over_the_cap")


def _cli_sample(cases: list[Case]) -> list[Case]:
    """About 20 named cases the CLI can reach (ingest, outcomes import, policy check), always the same ones."""
    reachable = [c for c in cases if c.kind in ("ingest", "outcomes", "policy") and not c.name.startswith("random")]
    firsts = {(c.kind, c.name): c for c in reversed(reachable)}  # the first file of each kind and name
    must = [firsts[kind, name] for kind in ("ingest", "outcomes") for name in CLI_MUST]
    rest = [c for c in reachable if c not in must]
    step = max(1, len(rest) // (CLI_SAMPLE - len(must)))
    return must + rest[::step][: CLI_SAMPLE - len(must)]


def test_the_cli_never_shows_a_traceback(cases, tmp_path, capsys):
    from callwise.ops.db import make_engine
    from callwise.ops.migrate import upgrade
    from callwise.security.crypto import new_key

    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "CALLWISE_DATA_DIR": str(tmp_path / "data"),
        "CALLWISE_DB_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "CALLWISE_PII_KEYS": f"k1:{new_key()}",
        "CALLWISE_LOOKUP_KEY": new_key(),
        "CALLWISE_LANG": "en",
    }
    callwise = str(Path(sys.executable).parent / "callwise")
    sample = _cli_sample(cases)

    def command(i: int, case: Case) -> list[str]:
        if case.kind == "ingest":
            lake, quarantine = tmp_path / f"lake{i}", tmp_path / f"q{i}"
            return [
                "ingest",
                str(case.path),
                "--table",
                case.table,
                "--lake",
                str(lake),
                "--quarantine",
                str(quarantine),
            ]
        if case.kind == "outcomes":
            rejects = str(tmp_path / f"rejects{i}.csv")
            return ["outcomes", "import", str(case.path), "--mapping", str(EXAMPLE_MAPPING), "--rejects", rejects]
        return ["policy", "check", str(case.path)]

    def run(item: tuple[int, Case]) -> str | None:
        i, case = item
        args = [callwise, *command(i, case), "--json"]
        try:
            done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=CLI_SECONDS)
        except subprocess.TimeoutExpired:
            return f"hang   {case.kind}/{case.name}"
        if "Traceback" in done.stderr or "Exception ignored" in done.stderr:
            return f"trace  {case.kind}/{case.name}: {done.stderr[-300:]}"
        if done.returncode == 0:
            figures = json.loads(done.stdout)
            settled = figures.get("accepted", figures.get("stored", 0)) + figures.get("duplicates", 0)
            if case.kind != "policy" and figures["read"] != settled + figures.get(
                "quarantined", figures.get("rejected", 0)
            ):
                return f"count  {case.kind}/{case.name}: {figures}"
            return None
        lines = done.stderr.strip().splitlines()
        if done.returncode not in (1, 2) or len(lines) != 1 or not lines[0].startswith("error: "):
            return f"exit   {case.kind}/{case.name}: {done.returncode} {done.stderr[-300:]!r}"
        return None

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(run, enumerate(sample)) if p]
    with capsys.disabled():
        figures = {"runs": len(sample), "problems": len(problems), "seconds": round(time.monotonic() - started, 1)}
        print(f"\nfuzz (cli): {json.dumps(figures)}")
    assert len(sample) >= 15
    assert not problems, "\n".join(problems)
