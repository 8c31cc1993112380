"""CLI: `callwise segments fit | list | show | rename` — customer segments over the library in callwise.segments."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

if TYPE_CHECKING:
    from callwise.lake import Lake
    from callwise.segments import Segmentation

LakeDir = Annotated[Path | None, typer.Option(help="help.opt.lake")]
AsJson = Annotated[bool, typer.Option("--json", help="help.segments.as_json")]


def _current(store: Lake) -> Segmentation:
    from callwise.segments import SegmentError, current_segmentation

    seg = current_segmentation(store)
    if seg is None:
        fail(SegmentError("segments.none"))
    return seg


def _summary(seg: Segmentation, lang: str) -> dict[str, Any]:
    return {
        "method": seg.method,
        "k": seg.k,
        "cutoff": seg.cutoff,
        "fitted_at": seg.fitted_at,
        "customers": seg.customers,
        "silhouette": seg.silhouette,
        "stability_ari": seg.stability_ari,
        "stable": seg.stable,
        "silhouette_by_k": seg.silhouette_by_k,
        "stability_by_k": seg.stability_by_k,
        "seconds": seg.fit_seconds,
        "segments": [
            {"id": s.id, "name": s.name(lang), "zh": s.name_zh, "en": s.name_en, "size": s.size, "share": s.share}
            for s in seg.segments
        ],
    }


def _lines(seg: Segmentation, lang: str) -> str:
    return "\n".join(
        t("cli.segments.line", lang, id=s.id, name=s.name(lang), size=s.size, share=f"{s.share:.1%}")
        for s in seg.segments
    )


def register(app: typer.Typer) -> None:
    segments = typer.Typer(no_args_is_help=True, help="help.segments")
    app.add_typer(segments, name="segments")

    @segments.command("fit", help="help.segments.fit")
    def fit(
        cutoff: Annotated[str, typer.Option(help="help.segments.fit.cutoff")],
        k: Annotated[int | None, typer.Option("--k", help="help.segments.fit.k")] = None,
        method: Annotated[str, typer.Option(help="help.segments.fit.method")] = "kmeans",
        tags: Annotated[str | None, typer.Option(help="help.segments.fit.tags")] = None,
        lake: LakeDir = None,
        engine: EngineName = None,
        as_json: AsJson = False,
    ) -> None:
        """Fit segments as of the cutoff; assign every customer and save the segmentation."""
        from callwise.segments import SegmentError, fit_segments
        from callwise.segments.inputs import DEFAULT_FEATURES

        lang = get_settings().lang
        try:
            moment = datetime.combine(date.fromisoformat(cutoff), time.min)
        except ValueError:
            fail(t("segments.bad_cutoff", lang, value=repr(cutoff)))
        chosen = tuple(x.strip() for x in tags.split(",") if x.strip()) if tags else ()
        store = lake_on(lake, engine)
        try:
            seg = fit_segments(store, moment, k=k, method=method, features=DEFAULT_FEATURES, tags=chosen)
        except (SegmentError, FileNotFoundError) as error:
            fail(error)
        result = _summary(seg, lang)
        human = t("cli.segments.fitted", lang, **{**result, "seconds": seg.fit_seconds}) + "\n" + _lines(seg, lang)
        emit(result, as_json, human)

    @segments.command("list", help="help.segments.list")
    def list_segments(lake: LakeDir = None, engine: EngineName = None, as_json: AsJson = False) -> None:
        """The current segments: id, name, size and share."""
        lang = get_settings().lang
        seg = _current(lake_on(lake, engine))
        emit(_summary(seg, lang), as_json, _lines(seg, lang))

    @segments.command("show", help="help.segments.show")
    def show(
        segment_id: Annotated[str, typer.Argument(help="help.segments.id")],
        lake: LakeDir = None,
        engine: EngineName = None,
        as_json: AsJson = False,
    ) -> None:
        """One segment: names, size, and its profile against the whole bank."""
        from callwise.segments import SegmentError

        seg = _current(lake_on(lake, engine))
        info = seg.get(segment_id)
        if info is None:
            fail(SegmentError("segments.unknown_segment", id=segment_id, known=", ".join(s.id for s in seg.segments)))
        data = {**asdict(info), "centroid": list(info.centroid), "columns": seg.scaler.outputs}
        emit(data, as_json)

    @segments.command("rename", help="help.segments.rename")
    def rename(
        segment_id: Annotated[str, typer.Argument(help="help.segments.id")],
        zh: Annotated[str, typer.Option("--zh", help="help.segments.rename.zh")],
        en: Annotated[str, typer.Option("--en", help="help.segments.rename.en")],
        lake: LakeDir = None,
        as_json: AsJson = False,
    ) -> None:
        """Give a segment a name of your own, kept across refreshes."""
        from callwise.segments import SegmentError, rename_segment

        try:
            rename_segment(lake_on(lake, None), segment_id, zh, en)
        except SegmentError as error:
            fail(error)
        lang = get_settings().lang
        said = t("cli.segments.renamed", lang, id=segment_id, zh=zh, en=en)
        emit({"id": segment_id, "zh": zh, "en": en}, as_json, said)
