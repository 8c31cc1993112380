"""Dialer files with real phone numbers: what a dialer loads to ring the calls of an issued list.

The list files ``callwise lists build`` writes hold masked phones only, so no dialer can dial them. This export
is the one way a file with numbers leaves callwise: only a holder of ``pii:read`` gets it, only the calls still
pending (a withdrawn call, e.g. after a DNC request, is never in it), every file is owner-only (0600) and
formula-safe (``callwise.export``), and each export is audited with who, which list, the format and the row
count, never a number. The file is written inside the audit's transaction: a failed write leaves no entry, and
an entry that cannot be written leaves no file to use (the caller's transaction rolls back on the error).

Formats: ``csv`` and ``xlsx`` (callwise's own columns, times with their zone) and ``vicidial`` (VICIdial's
standard list-loader layout: positional columns, no header line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from callwise.export import write_csv, write_xlsx
from callwise.i18n import t
from callwise.lists.times import local_iso, utc_iso
from callwise.ops import audit
from callwise.ops.models import Customer, IssuedList, ListItem
from callwise.ops.users import Principal
from callwise.security.files import FILE_MODE
from callwise.security.pii import Pii
from callwise.security.rbac import Permission

DIALER_FORMATS = ("csv", "xlsx", "vicidial")
CHINA_PHONE_CODE = "86"  # callwise's phones are Chinese mobiles (the data contract)

COLUMNS = (
    "item_id",
    "list_id",
    "campaign_id",
    "customer_id",
    "phone",
    "product_id",
    "slot_start",
    "slot_start_local",
    "slot_tz",
    "agent_id",
    "attempt",
    "arm",
    "hints",
)
# VICIdial's standard list-loader layout, in its column order (the loader reads columns by position).
VICIDIAL_COLUMNS = (
    "vendor_lead_code",
    "source_id",
    "list_id",
    "phone_code",
    "phone_number",
    "title",
    "first_name",
    "middle_initial",
    "last_name",
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "province",
    "postal_code",
    "country_code",
    "gender",
    "date_of_birth",
    "alt_phone",
    "email",
    "security_phrase",
    "comments",
)


class PiiReadRefused(PermissionError):
    """The caller does not hold ``pii:read``; the message names who and the permission."""

    def __init__(self, who: str) -> None:
        self.who = who
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return t("dialer.export.refused", lang, who=self.who, permission=Permission.PII_READ.value)


class ListNotFound(LookupError):
    """No issued list with that id (for that campaign, when one is given)."""

    def __init__(self, list_id: int, campaign_id: str | None = None) -> None:
        self.list_id, self.campaign_id = list_id, campaign_id
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        if self.campaign_id is None:
            return t("dialer.export.no_list", lang, list_id=self.list_id)
        return t("dialer.export.no_campaign_list", lang, list_id=self.list_id, campaign_id=self.campaign_id)


@dataclass(frozen=True)
class DialerExport:
    """What was written: the file, its format, the issued list and how many calls (rows) it holds."""

    path: Path
    format: str
    list_id: int
    campaign_id: str
    rows: int


def export_for_dialer(
    session: Session,
    pii: Pii,
    principal: Principal,
    list_id: int,
    fmt: str,
    path: str | Path,
    *,
    campaign_id: str | None = None,
    ip: str | None = None,
) -> DialerExport:
    """Write the pending calls of issued list ``list_id`` with real numbers to ``path`` (mode 0600); audited.

    The caller commits: the audit entry is added to ``session`` after the file is written.
    """
    if fmt not in DIALER_FORMATS:
        raise ValueError(t("dialer.export.format", "en", format=fmt, formats=", ".join(DIALER_FORMATS)))
    if Permission.PII_READ not in principal.permissions:
        raise PiiReadRefused(principal.name)
    issued = session.get(IssuedList, list_id)
    if issued is None or (campaign_id is not None and issued.campaign_id != campaign_id):
        raise ListNotFound(list_id, campaign_id)
    calls = pending_calls(session, pii, issued)
    target = Path(path)
    if fmt == "vicidial":
        write_csv(vicidial_rows(calls), target, mode=FILE_MODE, header=False, bom=False)
    elif fmt == "xlsx":
        write_xlsx(calls, target, sheet=f"list {list_id}", mode=FILE_MODE)
    else:
        write_csv(calls, target, mode=FILE_MODE)
    detail = {"list_id": list_id, "campaign_id": issued.campaign_id, "format": fmt, "rows": len(calls)}
    audit.append(session, principal.name, "list.export_dialer", f"list:{list_id}", detail, ip)
    return DialerExport(target, fmt, list_id, issued.campaign_id, len(calls))


def pending_calls(session: Session, pii: Pii, issued: IssuedList) -> pd.DataFrame:
    """The list's calls still to be dialled, in slot order, with the number in clear and the slot in both zones.

    A call whose number was erased (PIPL) is withdrawn already; one without a number is left out all the same.
    """
    query = (
        select(*(_plain(name) for name in _ITEM_FIELDS), Customer.timezone)
        .outerjoin(Customer, Customer.customer_id == ListItem.customer_id)
        .where(ListItem.list_id == issued.list_id, ListItem.status == "pending", ListItem.phone_enc.is_not(None))
        .order_by(ListItem.slot_start, ListItem.item_id)
    )
    # Plain rows, not ORM objects (an object per call cost more than the query), turned into columns at once.
    rows = session.execute(query).all()
    names = (*_ITEM_FIELDS, "timezone")
    item = dict(zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True))
    zones = pd.Series(item["timezone"], dtype="str")
    zones = zones.where(zones.notna() & (zones != ""), "Asia/Shanghai")  # no zone on record: the bank's
    starts = _utc(item["slot_start"])
    return pd.DataFrame(
        {
            "item_id": pd.Series(item["item_id"], dtype="int64"),
            "list_id": issued.list_id,
            "campaign_id": pd.Series([issued.campaign_id] * len(rows), dtype="str"),
            "customer_id": pd.Series(item["customer_id"], dtype="str"),
            "phone": pd.Series(pii.open_many(item["customer_id"], "phone", item["phone_enc"]), dtype="str"),
            "product_id": pd.Series(item["product_id"], dtype="str"),
            "slot_start": utc_iso(starts),
            "slot_start_local": local_iso(starts, zones),
            "slot_tz": zones,
            "agent_id": _text_or_empty(item["agent_id"]),
            "attempt": pd.Series(item["attempt"], dtype="int64"),
            "arm": _text_or_empty(item["arm"]),
            "hints": _text_or_empty(item["hints"]),
        },
        columns=list(COLUMNS),
    )


_ITEM_FIELDS = (
    "item_id",
    "customer_id",
    "phone_enc",
    "product_id",
    "slot_start",
    "agent_id",
    "attempt",
    "arm",
    "hints",
)


def _plain(name: str) -> Any:
    """The column to select; the slot as the driver hands it over (no conversion per row), parsed by :func:`_utc`."""
    column = getattr(ListItem, name)
    return type_coerce(column, String()).label(name) if name == "slot_start" else column


def _utc(values: tuple[Any, ...]) -> pd.Series:
    """The slots as UTC instants. SQLite hands over the stored UTC text (``2026-07-01 01:00:00.000000``, what
    ``UtcDateTime`` writes), PostgreSQL aware datetimes: both parse as a column, the same instants as the type's."""
    return pd.Series(
        pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"), dtype="datetime64[us, UTC]"
    )


def _text_or_empty(values: tuple[str | None, ...]) -> pd.Series:
    """Text with ``None`` (and ``""``) as ``""``: what the file holds for a missing agent, arm or hint."""
    return pd.Series(values, dtype="str").fillna("")


def vicidial_rows(calls: pd.DataFrame) -> pd.DataFrame:
    """The calls in VICIdial's standard layout: the call's item id as the vendor lead code (what an outcome
    reports back), the campaign as the source, the list id, country code 86, the number, the hints as comments."""
    n = len(calls)
    empty = pd.Series([""] * n, dtype="str")
    filled = {
        "vendor_lead_code": calls["item_id"].astype("str"),
        "source_id": calls["campaign_id"],
        "list_id": calls["list_id"].astype("str"),
        "phone_code": pd.Series([CHINA_PHONE_CODE] * n, dtype="str"),
        "phone_number": calls["phone"],
        "comments": calls["hints"],
    }
    return pd.DataFrame({name: filled.get(name, empty) for name in VICIDIAL_COLUMNS}, columns=list(VICIDIAL_COLUMNS))
