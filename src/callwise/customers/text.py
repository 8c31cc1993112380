"""The customer 360 profile in words, one section after another, in zh or en (``callwise customers show``).

Also the labels the dashboard's page shares: a tag's value, a disposition, a policy event, a reason code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callwise.i18n import catalog, t
from callwise.models.reasons import format_value


def label(prefix: str, value: object, lang: str) -> str:
    """``prefix.value`` in ``lang`` when the catalogue has it, else the value as is."""
    key = f"{prefix}.{value}"
    return t(key, lang) if isinstance(value, str) and key in catalog() else str(value)


def reason_text(code: str, lang: str) -> str:
    return label("exclusion", code, lang)


def tag_value(tag: dict[str, Any], lang: str) -> str:
    return format_value(tag["value"], lang)


def when(value: object) -> str:
    """A time as ``YYYY-MM-DD HH:MM``: an instant in UTC (said), a lake time as the wall clock it is."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def semicolon(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def money(value: object) -> str:
    return f"{float(value or 0):,.2f}"  # type: ignore[arg-type]


def profile_text(p: dict[str, Any], lang: str) -> str:
    """Every section of profile ``p`` as lines of text, titles underlined."""
    out: list[str] = [f"{t('c360.title', lang)} · {p['customer_id']} · {t('c360.as_of', lang, day=p['as_of'])}"]

    def section(key: str) -> None:
        title = t(f"c360.section.{key}", lang)
        out.extend(["", title, "-" * sum(2 if ord(c) > 0x2E80 else 1 for c in title)])

    ident = p["identity"]
    section("identity" if ident["masked"] else "identity_clear")
    for field in ("customer_id", "phone", "name", "id_number", "status", "timezone"):
        out.append(f"{t(f'c360.field.{field}', lang)}{colon(lang)}{ident.get(field) or '—'}")

    section("tags")
    tags = p["tags"]
    if not tags["categories"]:
        out.append(t("c360.tags.none", lang))
    else:
        if tags["cutoff"]:
            out.append(t("c360.tags.cutoff", lang, cutoff=tags["cutoff"][:10]))
        for group in tags["categories"]:
            shown = semicolon(lang).join(f"{tag['name'][lang]}={tag_value(tag, lang)}" for tag in group["tags"])
            out.append(f"{label('c360.category', group['category'], lang)}{colon(lang)}{shown}")

    section("segment")
    seg = p["segment"]
    if seg is None:
        out.append(t("c360.segment.none", lang))
    else:
        name = seg["name"][lang] if seg.get("name") else seg["segment_id"]
        distance = "—" if seg["distance"] is None else f"{float(seg['distance']):.3f}"
        out.append(t("c360.segment.line", lang, segment=name, distance=distance, at=when(seg["assigned_at"])))

    section("holdings")
    held = p["holdings"]
    if not held["items"]:
        out.append(t("c360.holdings.none", lang))
    else:
        out.append(t("c360.holdings.total", lang, total=money(held["total_balance"])))
        for row in held["by_category"]:
            out.append(
                t(
                    "c360.holdings.line",
                    lang,
                    category=label("category", row["category"], lang),
                    balance=money(row["balance"]),
                    n=row["n"],
                )
            )
        for item in held["items"]:
            out.append(
                "  "
                + t(
                    "c360.holdings.item",
                    lang,
                    product=item["product_id"] or "—",
                    name=item.get("name") or "—",
                    balance=money(item["balance"]),
                )
            )

    section("transactions")
    if not p["transactions"]:
        out.append(t("c360.tx.none", lang))
    for window in p["transactions"]:
        out.append(
            t(
                "c360.tx.window",
                lang,
                days=window["days"],
                in_sum=money(window["in"]["sum"]),
                in_n=window["in"]["count"],
                out_sum=money(window["out"]["sum"]),
                out_n=window["out"]["count"],
            )
        )
        for key, by in (("by_category", "category"), ("by_channel", "channel")):
            if window[key]:
                parts = [
                    t(
                        "c360.tx.split",
                        lang,
                        label=row[by],
                        direction=label("c360.tx", row["direction"], lang),
                        sum=money(row["sum"]),
                        count=row["count"],
                    )
                    for row in window[key]
                ]
                out.append(f"  {t(f'c360.tx.{key}', lang)}{colon(lang)}" + semicolon(lang).join(parts))

    section("activity")
    act = p["activity"]
    if not act["windows"] or not any(w["events"] for w in act["windows"]):
        out.append(t("c360.activity.none", lang))
    for window in act["windows"]:
        events = ", ".join(f"{e} {n}" for e, n in window["events"].items()) or "—"
        out.append(t("c360.activity.window", lang, days=window["days"], events=events))
    last = when(act["last_login"]) if act["last_login"] else t("c360.activity.never", lang)
    out.append(t("c360.activity.last_login", lang, at=last))

    section("contacts")
    contacts = p["contacts"]
    if not contacts["total"] and not contacts["recent"]:
        out.append(t("c360.contacts.none", lang))
    else:
        counts = ", ".join(
            f"{label('board.customer.disposition', d, lang)} {n}" for d, n in contacts["by_disposition"].items()
        )
        out.append(t("c360.contacts.total", lang, n=contacts["total"], counts=counts))
        for row in contacts["recent"]:
            disposition = label("board.customer.disposition", row["disposition"], lang)
            out.append(f"  {when(row['ts'])} {row['channel'] or '—'} {row['campaign_id'] or '—'} {disposition}")

    section("consent")
    consent = p["consent"]
    yes, no = t("c360.yes", lang), t("c360.no", lang)
    out.append(
        t(
            "c360.consent.state",
            lang,
            consent=yes if consent["consent_marketing"] else no,
            at=when(consent["consent_updated_at"]),
            dnc=yes if consent["dnc"] else no,
            dnc_at=when(consent["dnc_at"]),
        )
    )
    if not consent["history"]:
        out.append(t("c360.consent.no_history", lang))
    for event in consent["history"]:
        kind = label("board.compliance.kind", event["kind"], lang)
        out.append(
            "  "
            + t(
                "c360.consent.event",
                lang,
                ts=when(event["ts"]),
                kind=kind,
                source=event["source"],
                actor=event["actor"],
            )
        )

    section("scores")
    if not p["scores"]:
        out.append(t("c360.scores.none", lang))
    for s in p["scores"]:
        score = "—" if s["score"] is None else f"{float(s['score']):.4f}"
        out.append(
            t(
                "c360.scores.line",
                lang,
                list_id=s["list_id"],
                campaign=s["campaign_id"],
                score=score,
                decile=s["score_decile"] if s["score_decile"] is not None else "—",
                group=label("c360.group", s["group"], lang),
                reason=s["reason"] or "—",
            )
        )

    section("lists")
    if not p["lists"]:
        out.append(t("c360.lists.none", lang))
    for row in p["lists"]:
        common = {"list_id": row["list_id"], "campaign": row["campaign_id"], "product": row["product_id"] or "—"}
        if row["on_list"] and row["group"] != "control":
            group = label("c360.group", row["group"], lang)
            out.append(t("c360.lists.on", lang, group=group, pending=row["pending_calls"], **common))
        else:
            reasons = semicolon(lang).join(reason_text(code, lang) for code in row["reasons"]) or t(
                "c360.lists.unknown", lang
            )
            out.append(t("c360.lists.off", lang, reasons=reasons, **common))
    return "\n".join(out)
