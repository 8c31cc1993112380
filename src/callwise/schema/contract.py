"""The data contract as code: every table a bank provides, its columns, types, keys and enums.

Ingestion validates against these specs, the synthetic bank writes exactly these columns, and the lake
stores them with the Arrow types given here. Extra input columns are kept (as text) and become features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa


class Kind(StrEnum):
    """How a column is parsed and stored."""

    TEXT = "text"
    PHONE = "phone"  # Chinese mobile, normalised to 11 digits
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"  # stored naive, local time (see docs/decisions/0003-local-time.md)
    ENUM = "enum"
    JSON = "json"  # stored as JSON text


ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.PHONE: pa.string(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.BOOL: pa.bool_(),
    Kind.DATE: pa.date32(),
    Kind.DATETIME: pa.timestamp("s"),
    Kind.ENUM: pa.string(),
    Kind.JSON: pa.string(),
}

RISK_TOLERANCES = ("C1", "C2", "C3", "C4", "C5")
RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
CUSTOMER_STATUSES = ("active", "frozen", "deceased")
GENDERS = ("M", "F")
PRODUCT_CATEGORIES = ("deposit", "wealth", "fund", "insurance", "credit_card", "loan")
CHANNELS = ("call", "sms", "app_push", "wechat", "email")
GROUPS = ("treatment", "control")
DIRECTIONS = ("in", "out")
DISPOSITIONS = (
    "no_answer",
    "busy",
    "answered",
    "refused",
    "callback_requested",
    "interested",
    "converted",
    "wrong_number",
    "dnc_requested",
    "complaint",
)
# Outcomes of a message touch (SMS, app push, WeChat, email), as the senders' delivery receipts report them.
MESSAGE_DISPOSITIONS = ("sent", "delivered", "failed", "opened", "clicked", "unsubscribed")
CONTACT_DISPOSITIONS = DISPOSITIONS + MESSAGE_DISPOSITIONS
CONSENT_PURPOSES = ("marketing",)
# Dispositions where a person picked up; the rest are attempts that reached nobody.
ANSWERED_DISPOSITIONS = (
    "answered",
    "refused",
    "callback_requested",
    "interested",
    "converted",
    "dnc_requested",
    "complaint",
)
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Personal data of the customers table: never stored in clear in the lake (docs/decisions/0014-pii-in-the-lake.md).
# Each becomes ``<name>_token`` (AES-GCM, bound to column and customer) and ``<name>_masked``; phone and ID number
# also ``<name>_lookup`` (the keyed hash the operational DB stores too).
PII_COLUMNS = ("phone", "name", "id_number")
LOOKUP_COLUMNS = ("phone", "id_number")
PII_TABLES = {"customers": PII_COLUMNS}  # the tables whose quarantined cells are masked
# The one column that says "same phone number" everywhere (the gate's one-call-per-number rule, the scheduler).
PHONE_KEY = "phone_lookup"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values for ENUM
    nullable: bool = True  # a required column may still hold empty cells only if nullable

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # duplicates on the key: keep the last row, quarantine the others
    # Groups of columns of which at least one must be present (e.g. holdings: product_id or category).
    one_of: tuple[tuple[str, ...], ...] = field(default=())
    # A file of a snapshot table is the whole table as of its day (holdings): a daily run writes it whole
    # instead of appending it. Tables with a key or a time stamp take a day's rows as an increment.
    snapshot: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def arrow_schema(self, present: list[str] | None = None) -> pa.Schema:
        """Schema of the lake table; contract columns first, in contract order."""
        cols = [c for c in self.columns if present is None or c.name in present]
        return pa.schema([pa.field(c.name, c.arrow_type) for c in cols])


def _c(name: str, kind: Kind, required: bool = False, values: tuple[str, ...] = ()) -> Column:
    # Required columns must also be filled in every row; optional ones may be empty.
    return Column(name, kind, required, values, nullable=not required)


CUSTOMERS = Table(
    "customers",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("phone", Kind.PHONE, True),
        _c("name", Kind.TEXT),
        _c("id_number", Kind.TEXT),
        _c("birth_date", Kind.DATE),
        _c("age", Kind.INT),
        _c("gender", Kind.ENUM, values=GENDERS),
        _c("province", Kind.TEXT),
        _c("city", Kind.TEXT),
        _c("timezone", Kind.TEXT),
        _c("occupation", Kind.TEXT),
        _c("education", Kind.TEXT),
        _c("marital", Kind.TEXT),
        _c("income_monthly", Kind.FLOAT),
        _c("risk_tolerance", Kind.ENUM, values=RISK_TOLERANCES),
        _c("risk_assessed_at", Kind.DATE),
        _c("consent_marketing", Kind.BOOL, True),
        _c("consent_updated_at", Kind.DATETIME),
        _c("profiling_opt_out", Kind.BOOL),
        _c("dnc", Kind.BOOL),
        _c("complaint_last_at", Kind.DATETIME),
        _c("opened_at", Kind.DATE),
        _c("status", Kind.ENUM, values=CUSTOMER_STATUSES),
    ),
    key=("customer_id",),
)

PRODUCTS = Table(
    "products",
    (
        _c("product_id", Kind.TEXT, True),
        _c("name", Kind.TEXT),
        _c("category", Kind.ENUM, True, PRODUCT_CATEGORIES),
        _c("risk_level", Kind.ENUM, values=RISK_LEVELS),
        _c("value_per_conversion", Kind.FLOAT, True),
        _c("min_age", Kind.INT),
        _c("max_age", Kind.INT),
    ),
    key=("product_id",),
)

HOLDINGS = Table(
    "holdings",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("product_id", Kind.TEXT),
        _c("category", Kind.ENUM, values=PRODUCT_CATEGORIES),
        _c("balance", Kind.FLOAT),
        _c("opened_at", Kind.DATE),
        _c("closed_at", Kind.DATE),
        _c("matures_at", Kind.DATE),  # term deposits and wealth products; the moment "matures in N days" reads it
    ),
    one_of=(("product_id", "category"),),
    snapshot=True,
)

TRANSACTIONS = Table(
    "transactions",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("ts", Kind.DATETIME, True),
        _c("amount", Kind.FLOAT, True),
        _c("direction", Kind.ENUM, values=DIRECTIONS),
        _c("channel", Kind.TEXT),
        _c("category", Kind.TEXT),
    ),
)

EVENTS = Table(
    "events",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("ts", Kind.DATETIME, True),
        _c("event", Kind.TEXT, True),
        _c("detail", Kind.TEXT),
    ),
)

CONTACTS = Table(
    "contacts",
    (
        _c("contact_id", Kind.TEXT, True),
        _c("campaign_id", Kind.TEXT),
        _c("customer_id", Kind.TEXT, True),
        _c("product_id", Kind.TEXT),
        _c("channel", Kind.ENUM, True, CHANNELS),
        _c("ts", Kind.DATETIME, True),
        _c("agent_id", Kind.TEXT),
        _c("script_variant", Kind.TEXT),
        _c("group", Kind.ENUM, values=GROUPS),
        _c("disposition", Kind.ENUM, True, CONTACT_DISPOSITIONS),
        _c("duration_s", Kind.FLOAT),
    ),
    key=("contact_id",),
)

CONVERSIONS = Table(
    "conversions",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("product_id", Kind.TEXT, True),
        _c("ts", Kind.DATETIME, True),
        _c("amount", Kind.FLOAT),
    ),
)

AGENTS = Table(
    "agents",
    (
        _c("agent_id", Kind.TEXT, True),
        _c("team", Kind.TEXT),
        _c("skills", Kind.TEXT),  # product categories separated by "|" or ","
        _c("languages", Kind.TEXT),  # e.g. "zh|yue|en"
        _c("shift", Kind.TEXT),  # weekly hours, e.g. "mon-fri 09:00-18:00"
        _c("calls_per_hour", Kind.FLOAT),
    ),
    key=("agent_id",),
)

# Campaigns and their members are not in the original contract list: a randomised control group is, by
# design, never contacted, so it cannot appear in `contacts`. See docs/decisions/0002-campaign-members.md.
CAMPAIGNS = Table(
    "campaigns",
    (
        _c("campaign_id", Kind.TEXT, True),
        _c("name", Kind.TEXT),
        _c("product_id", Kind.TEXT, True),
        _c("channel", Kind.ENUM, values=CHANNELS),
        _c("start_at", Kind.DATETIME, True),
        _c("end_at", Kind.DATETIME),
    ),
    key=("campaign_id",),
)

CAMPAIGN_MEMBERS = Table(
    "campaign_members",
    (
        _c("campaign_id", Kind.TEXT, True),
        _c("customer_id", Kind.TEXT, True),
        _c("group", Kind.ENUM, True, GROUPS),
        _c("arm", Kind.TEXT),
        _c("assigned_at", Kind.DATETIME),
    ),
    key=("campaign_id", "customer_id"),
)

TRANSCRIPTS = Table(
    "transcripts",
    (
        _c("contact_id", Kind.TEXT, True),
        _c("turns", Kind.JSON, True),  # [{speaker: agent|customer, text, t}]
    ),
    key=("contact_id",),
)

# Consent per channel and purpose (PIPL treats each separately): the newest row of a (customer, channel, purpose)
# is in force. Without this table a call's consent is customers.consent_marketing and no other channel has any.
CONSENTS = Table(
    "consents",
    (
        _c("customer_id", Kind.TEXT, True),
        _c("channel", Kind.ENUM, True, CHANNELS),
        _c("purpose", Kind.ENUM, True, CONSENT_PURPOSES),
        _c("granted", Kind.BOOL, True),
        _c("ts", Kind.DATETIME, True),
        _c("source", Kind.TEXT),
    ),
    key=("customer_id", "channel", "purpose", "ts"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CUSTOMERS,
        PRODUCTS,
        HOLDINGS,
        TRANSACTIONS,
        EVENTS,
        CONTACTS,
        CONVERSIONS,
        AGENTS,
        CAMPAIGNS,
        CAMPAIGN_MEMBERS,
        TRANSCRIPTS,
        CONSENTS,
    )
}
