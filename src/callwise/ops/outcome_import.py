"""Call outcomes from a dialer's CSV export into the operational DB, with every row accounted for.

The export is read by ``callwise.loop.read_dialer_export`` (normalised outcomes and rejected rows), and
the accepted rows are stored with ``record_outcomes`` in batches, one transaction each: a crash loses at
most the batch in flight, and importing the file again completes it, since each row's idempotency key
(campaign and call id) is stored only once. Every row read is stored, a duplicate of one stored before,
or rejected with its line and a reason code, by the reader or by the database (e.g. an unknown customer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pyarrow as pa
from sqlalchemy.orm import Session, sessionmaker

from callwise.export import write_csv
from callwise.i18n import catalog, t
from callwise.ingest.quarantine import line_tokens
from callwise.loop import DialerMapping, load_dialer_mapping, read_dialer_export
from callwise.ops.db import transaction
from callwise.ops.outcomes import FollowupPlanner, OutcomeIn, record_outcomes
from callwise.security.crypto import PiiCipher
from callwise.security.files import FILE_MODE, private_dir

OUTCOME_FIELDS = [
    "idempotency_key",
    "customer_id",
    "campaign_id",
    "ts",
    "disposition",
    "agent_id",
    "duration_s",
    "callback_at",
]
# The mapped field a database rejection is about, so the rejects file can name the export's column.
REJECTION_FIELDS = {
    "unknown_customer": "customer_id",
    "bad_idempotency_key": "call_id",
    "unknown_disposition": "disposition",
    "naive_time": "start_time",
    "future_time": "start_time",
    "bad_duration": "duration",
}
REJECTS_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("column", pa.string()),
        ("detail", pa.string()),
        ("raw", pa.string()),
        ("original", pa.string()),  # the line as read: sealed into the rejects file, never written in clear
    ]
)


class OutcomeImportCounts(TypedDict):
    """What ``callwise outcomes import --json`` prints: the counts, rejections by reason, the mapping used."""

    source: str
    encoding: str
    read: int
    stored: int
    duplicates: int
    rejected: int
    reasons: dict[str, int]
    mapping_sha256: str


@dataclass(frozen=True)
class OutcomeImport:
    """The run's counts (read = stored + duplicates + rejected) and the rejected rows in line order."""

    source: str
    encoding: str
    read: int
    stored: int
    duplicates: int
    rejected: pa.Table  # REJECTS_SCHEMA: line, reason code, the export's column, detail (English), raw line
    mapping_sha256: str = ""

    def summary(self) -> OutcomeImportCounts:
        reasons: Counter[str] = Counter(self.rejected.column("reason").to_pylist())
        return {
            "source": self.source,
            "encoding": self.encoding,
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected.num_rows,
            "reasons": dict(sorted(reasons.items())),
            "mapping_sha256": self.mapping_sha256,
        }


def import_dialer_outcomes(
    factory: sessionmaker[Session],
    path: str | Path,
    mapping: DialerMapping | str | Path,
    batch: int = 500,
    actor: str = "import",
    plan_followups: FollowupPlanner | None = None,
    bank_timezone: str | None = None,
) -> OutcomeImport:
    """Read ``path`` with ``mapping`` and store its outcomes, ``batch`` rows per transaction (each batch with its
    roll-ups, counted by local day in ``bank_timezone``; default: the settings')."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive whole number of rows, not {batch!r}")
    if not isinstance(mapping, DialerMapping):
        mapping = load_dialer_mapping(mapping)
    export = read_dialer_export(path, mapping)
    columns = mapping.columns.given()
    stored = duplicates = 0
    refused: list[dict[str, Any]] = []
    for start in range(0, export.outcomes.num_rows, batch):
        chunk = export.outcomes.slice(start, batch)
        outcomes = [OutcomeIn(**row) for row in chunk.select(OUTCOME_FIELDS).to_pylist()]
        with transaction(factory) as session:
            results = record_outcomes(
                session, outcomes, actor, "import", plan_followups=plan_followups, bank_timezone=bank_timezone
            )
        lines = chunk.column("line").to_pylist()
        for result in results:
            if result.status == "stored":
                stored += 1
            elif result.status == "duplicate":
                duplicates += 1
            else:
                field = REJECTION_FIELDS.get(result.code or "")
                refused.append(
                    {
                        "line": lines[result.index],
                        "reason": result.code,
                        "column": columns.get(field) if field else None,
                        "detail": result.message,
                        "raw": None,
                        "original": None,
                    }
                )
    reader_rejects = export.rejected.append_column("detail", pa.nulls(export.rejected.num_rows, pa.string()))
    rejected = pa.concat_tables(
        [
            reader_rejects.select(REJECTS_SCHEMA.names).cast(REJECTS_SCHEMA),
            pa.Table.from_pylist(refused, REJECTS_SCHEMA),
        ]
    ).sort_by("line")
    return OutcomeImport(
        source=export.source,
        encoding=export.encoding,
        read=export.read,
        stored=stored,
        duplicates=duplicates,
        rejected=rejected,
        mapping_sha256=export.mapping_sha256,
    )


def reason_text(code: str, lang: str) -> str:
    """The reason code in words: the reader's codes (``loop.reason.*``) and the database's (``ops.outcome.*``)."""
    for key in (f"loop.reason.{code}", f"ops.outcome.reason.{code}"):
        if key in catalog():
            return t(key, lang)
    return code


def default_rejects_path(source: str | Path) -> Path:
    """``<export>.rejected.csv`` beside the export."""
    source = Path(source)
    return source.with_name(f"{source.stem}.rejected.csv")


def write_rejects(result: OutcomeImport, path: str | Path, cipher: PiiCipher, lang: str = "zh") -> Path:
    """The rejected rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese), reason in words.

    Written even when nothing was rejected, so the file beside an export always belongs to its last import. The
    phone cell is masked in ``raw``; the line as read is kept only as a token (``callwise quarantine reveal``),
    and the file is 0600 like every quarantine file.
    """
    path = Path(path)
    rejected = result.rejected
    frame = rejected.drop_columns(["original"]).to_pandas()
    frame.insert(
        2, "message", frame["reason"].map({code: reason_text(code, lang) for code in frame["reason"].unique()})
    )
    frame["raw_token"] = line_tokens(rejected.column("line"), rejected.column("original"), path.name, cipher)
    private_dir(path.parent)
    return write_csv(frame, path, mode=FILE_MODE)
