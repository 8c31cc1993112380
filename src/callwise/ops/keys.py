"""Key rotation: every encrypted value in the operational DB re-encrypted under the current (first) PII key.

After a new key is put first in ``CALLWISE_PII_KEYS``, old values still decrypt under the old key; this run
re-encrypts them so the old key can be retired (docs/security.md). It walks each table in primary-key
order, one transaction per batch, and skips tokens already under the current key: an interrupted run is
simply run again, and a finished one re-encrypts nothing. Each batch locks its rows (``FOR UPDATE`` on
PostgreSQL, SQLite's write lock), so a concurrent erasure or sync cannot be overwritten with a stale value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.models import Base, Customer, ListItem
from callwise.security.crypto import PiiCipher
from callwise.security.errors import DecryptError


class RotationError(RuntimeError):
    """A value could not be re-encrypted; batches before it are committed, so the run can be resumed."""


@dataclass(frozen=True)
class Sealed:
    """A table with encrypted columns: its primary key, the customer each row belongs to, column → field.

    The field is the one in the encryption context ``customers.<field>:<customer_id>``; list items carry a copy
    of the customer's phone token, so they use the customer's context too.
    """

    model: type[Base]
    key: str
    customer: str
    columns: dict[str, str]

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


CUSTOMER_FIELDS = {"phone_enc": "phone", "name_enc": "name", "id_number_enc": "id_number"}
SEALED = (
    Sealed(Customer, key="customer_id", customer="customer_id", columns=CUSTOMER_FIELDS),
    Sealed(ListItem, key="item_id", customer="customer_id", columns={"phone_enc": "phone"}),
)


@dataclass(frozen=True)
class RotationReport:
    """Rows holding at least one encrypted value that were read, and how many of them were re-encrypted."""

    rows_checked: int
    rows_reencrypted: int

    def to_dict(self) -> dict[str, int]:
        return {"rows_checked": self.rows_checked, "rows_reencrypted": self.rows_reencrypted}


def rotate_keys(
    factory: sessionmaker[Session], cipher: PiiCipher, batch: int = 1000, actor: str = "cli"
) -> RotationReport:
    """Re-encrypt every value not under ``cipher``'s current key; audited once per run with the counts."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive whole number of rows, not {batch!r}")
    checked = changed = 0
    for sealed in SEALED:
        after: Any = None
        while True:
            with transaction(factory) as session:
                rows = _next_rows(session, sealed, after, batch)
                updates = _reencrypted(rows, sealed, cipher, checked, changed)
                if updates:
                    session.execute(update(sealed.model), updates)
            checked, changed = checked + len(rows), changed + len(updates)
            if len(rows) < batch:
                break
            after = rows[-1][0]
    report = RotationReport(checked, changed)
    with transaction(factory) as session:
        detail = {"key_id": cipher.current_key_id, "tables": [s.table for s in SEALED], **report.to_dict()}
        audit.append(session, actor, "keys.rotate", f"key:{cipher.current_key_id}", detail)
    return report


def _next_rows(session: Session, sealed: Sealed, after: Any, batch: int) -> Sequence[Row[Any]]:
    """The next ``batch`` rows after primary key ``after`` that hold any encrypted value, locked until commit."""
    key = getattr(sealed.model, sealed.key)
    columns = [getattr(sealed.model, name) for name in sealed.columns]
    query = select(key, getattr(sealed.model, sealed.customer), *columns).where(or_(*(c.is_not(None) for c in columns)))
    if after is not None:
        query = query.where(key > after)
    return session.execute(query.order_by(key).limit(batch).with_for_update()).all()


def _reencrypted(
    rows: Sequence[Row[Any]], sealed: Sealed, cipher: PiiCipher, checked: int, changed: int
) -> list[dict[str, Any]]:
    """Update parameters for the rows with a token under an old key (per value: encryption is per value)."""
    updates = []
    for row in rows:
        cells: tuple[Any, ...] = tuple(row)
        key, customer_id, tokens = cells[0], cells[1], cells[2:]
        values: dict[str, Any] = {}
        for (column, field), token in zip(sealed.columns.items(), tokens, strict=True):
            if token is None:
                continue
            try:
                if cipher.needs_rotation(token):
                    values[column] = cipher.reencrypt(token, f"customers.{field}:{customer_id}")
            except DecryptError as error:
                raise RotationError(
                    f"{sealed.table}.{column} of row {key!r} (customer {customer_id!r}) cannot be re-encrypted: "
                    f"{error}; {changed} of {checked} rows were re-encrypted before it, and a new run resumes"
                ) from None
        if values:
            updates.append({sealed.key: key, **values})
    return updates
