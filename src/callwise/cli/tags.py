"""CLI: `callwise tags build | list | describe | lineage | quality | check` — the tag catalogue and the tag table."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

if TYPE_CHECKING:
    from callwise.tags import Catalogue, Tag

CatalogueFile = Annotated[Path | None, typer.Option("--catalogue", help="help.tags.catalogue")]


def _catalogue(path: Path | None) -> Catalogue:
    from callwise.tags import CatalogueError, default_catalogue, load_catalogue

    try:
        return default_catalogue() if path is None else load_catalogue(path)
    except CatalogueError as error:
        fail(error)


def _tag(catalogue: Catalogue, name: str) -> Tag:
    from callwise.tags import UnknownTag

    try:
        return catalogue.get(name)
    except UnknownTag as error:
        fail(error)


def _described(tag: Tag, catalogue: Catalogue) -> dict[str, Any]:
    return {
        "id": tag.id,
        "name": {"zh": tag.name_zh, "en": tag.name_en},
        "description": {"zh": tag.description_zh, "en": tag.description_en},
        "category": tag.category,
        "kind": tag.kind,
        "value": tag.value,
        "levels": list(tag.levels) if tag.levels else None,
        "definition": tag.definition,
        "owner": tag.owner,
        "refresh": tag.refresh,
        "sensitivity": tag.sensitivity,
        "reads": catalogue.reads(tag.id),
        "read_by": catalogue.read_by(tag.id),
    }


def register(app: typer.Typer) -> None:
    tags = typer.Typer(no_args_is_help=True, help="help.tags")
    app.add_typer(tags, name="tags")

    @tags.command("build", help="help.tags.build")
    def build(
        cutoff: Annotated[str, typer.Option(help="help.tags.build.cutoff")],
        catalogue: CatalogueFile = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """Compute every tag as of the cutoff, write the lake table `tags` and the quality report."""
        from callwise.tags import TagBuildError, build_tags

        try:
            moment = datetime.combine(date.fromisoformat(cutoff), time.min)
        except ValueError:
            fail(t("cli.tags.bad_cutoff", get_settings().lang, value=repr(cutoff)))
        cat = _catalogue(catalogue)
        store = lake_on(lake, engine)
        try:
            done = build_tags(store, cat, moment)
        except (FileNotFoundError, TagBuildError) as error:
            fail(error)
        result = {
            "rows": done.rows,
            "tags": done.tags,
            "seconds": done.seconds,
            "cutoff": done.cutoff,
            "table": done.table,
            "report": done.report,
        }
        lang = get_settings().lang
        emit(result, as_json, t("cli.tags.built", lang, **result))

    @tags.command("list", help="help.tags.list")
    def list_tags(
        category: Annotated[str | None, typer.Option(help="help.tags.list.category")] = None,
        catalogue: CatalogueFile = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """The catalogue's tags, one a line (optionally of one category)."""
        from callwise.tags.catalogue import CATEGORIES

        lang = get_settings().lang
        if category is not None and category not in CATEGORIES:
            fail(t("cli.tags.bad_category", lang, value=repr(category), known=", ".join(CATEGORIES)))
        cat = _catalogue(catalogue)
        chosen = [tag for tag in cat.tags.values() if category is None or tag.category == category]
        rows = [
            {"id": x.id, "name": x.name(lang), "category": x.category, "kind": x.kind, "value": x.value} for x in chosen
        ]
        human = "\n".join(f"{r['id']:<32} {r['category']:<11} {r['kind']:<5} {r['value']:<6} {r['name']}" for r in rows)
        emit({"tags": rows, "count": len(rows)}, as_json, human or t("cli.tags.none", lang))

    @tags.command("describe", help="help.tags.describe")
    def describe(
        tag: Annotated[str, typer.Argument(help="help.tags.tag")],
        catalogue: CatalogueFile = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """One tag: its names, description, definition, value, owner, cadence and what it reads."""
        cat = _catalogue(catalogue)
        found = _tag(cat, tag)
        shown = _described(found, cat)
        lang = get_settings().lang
        lines = [
            f"{found.id} — {found.name(lang)}",
            found.description(lang),
            f"{t('cli.tags.definition', lang)}: {found.definition}",
            f"{t('cli.tags.value', lang)}: {found.value}" + (f" ({', '.join(found.levels)})" if found.levels else ""),
            f"{t('cli.tags.category', lang)}: {found.category} · {found.kind} · {found.refresh} · {found.sensitivity}",
            f"{t('cli.tags.owner', lang)}: {found.owner}",
        ]
        emit(shown, as_json, "\n".join(lines))

    @tags.command("lineage", help="help.tags.lineage")
    def lineage(
        tag: Annotated[str, typer.Argument(help="help.tags.tag")],
        catalogue: CatalogueFile = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """What the tag reads (tags, features, table columns) and which tags read it, directly and transitively."""
        from callwise.tags.lineage import lineage as lineage_of

        cat = _catalogue(catalogue)
        found = _tag(cat, tag)
        shown = lineage_of(cat, found.id)
        lang = get_settings().lang
        up = shown["upstream"]
        tables = "; ".join(f"{name}({', '.join(cols)})" for name, cols in up["tables"].items())
        lines = [
            f"{found.id} — {found.name(lang)}",
            f"{t('cli.tags.reads_tags', lang)}: {', '.join(up['tags']) or '-'}",
            f"{t('cli.tags.reads_features', lang)}: {', '.join(up['features']) or '-'}",
            f"{t('cli.tags.reads_tables', lang)}: {tables or '-'}",
            f"{t('cli.tags.read_by', lang)}: {', '.join(shown['downstream']) or '-'}",
        ]
        emit(shown, as_json, "\n".join(lines))

    @tags.command("quality", help="help.tags.quality")
    def quality(
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """The last build's quality report: coverage, distribution and change per tag."""
        from callwise.lake import open_lake
        from callwise.tags.quality import latest_quality

        lang = get_settings().lang
        report = latest_quality(open_lake(lake))
        if report is None:
            fail(t("cli.tags.no_build", lang))
        lines = [t("cli.tags.quality_head", lang, cutoff=report["cutoff"], rows=report["rows"])]
        for entry in report["tags"]:
            change = entry.get("change")
            changed = f"{change['changed_share']:.1%}" if change else "-"
            lines.append(f"{entry['id']:<32} {entry['coverage']:>7.1%}  {t('cli.tags.changed', lang)} {changed}")
        emit(report, as_json, "\n".join(lines))

    @tags.command("check", help="help.tags.check")
    def check(
        file: Annotated[Path, typer.Argument(help="help.tags.check.file")],
        as_json: Annotated[bool, typer.Option("--json", help="help.tags.as_json")] = False,
    ) -> None:
        """Validate a catalogue file: every definition, name, type, cycle and forbidden topic."""
        cat = _catalogue(file)
        result = {"file": str(file), "tags": len(cat.tags), "sha256": cat.sha256}
        emit(result, as_json, t("cli.tags.checked", get_settings().lang, file=str(file), count=len(cat.tags)))
