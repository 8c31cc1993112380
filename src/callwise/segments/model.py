"""The fitted segmentation as data: ``Segmentation`` and one ``SegmentInfo`` per segment, saved as JSON.

Saved under ``<lake>/_segments/``: ``current.json`` (what assignments, pages and campaign files use) and a copy
per fit in ``fits/<stamp>.json``. JSON only, never pickle: centroids, the scaler, names, profiles and the
figures of the choice of k are plain numbers and text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from callwise.lake import Lake
from callwise.security.files import private_dir, private_file
from callwise.segments.scale import Scaler

FOLDER = "_segments"
CURRENT = "current.json"
VERSION = 1


@dataclass(frozen=True)
class SegmentInfo:
    """One segment: its stable id, names (a person's rename over the automatic one), centroid and profile."""

    id: str
    name_zh: str
    name_en: str
    auto_name_zh: str
    auto_name_en: str
    renamed: bool
    size: int
    share: float
    centroid: tuple[float, ...]
    profile: dict[str, Any] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Segmentation:
    """A fit: method, k and why, the inputs and their scaler, and the segments."""

    method: str
    k: int
    cutoff: str
    fitted_at: str
    seed: int
    features: tuple[str, ...]
    tags: tuple[str, ...]
    scaler: Scaler
    segments: tuple[SegmentInfo, ...]
    silhouette_by_k: dict[int, float]
    stability_by_k: dict[int, float]
    stability_ari: float
    silhouette: float
    customers: int
    fit_seconds: float = 0.0
    renames: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        from callwise.segments.fit import STABLE

        return self.stability_ari >= STABLE

    def get(self, segment_id: str) -> SegmentInfo | None:
        return next((s for s in self.segments if s.id == segment_id), None)

    def name(self, segment_id: str, lang: str) -> str:
        """A segment's name in ``lang`` (KeyError: no such segment), as the customer 360 shows it."""
        info = self.get(segment_id)
        if info is None:
            raise KeyError(segment_id)
        return info.name(lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "method": self.method,
            "k": self.k,
            "cutoff": self.cutoff,
            "fitted_at": self.fitted_at,
            "seed": self.seed,
            "features": list(self.features),
            "tags": list(self.tags),
            "scaler": self.scaler.to_json(),
            "columns": self.scaler.outputs,
            "segments": [{**asdict(s), "centroid": list(s.centroid)} for s in self.segments],
            "silhouette_by_k": {str(k): v for k, v in self.silhouette_by_k.items()},
            "stability_by_k": {str(k): v for k, v in self.stability_by_k.items()},
            "stability_ari": self.stability_ari,
            "silhouette": self.silhouette,
            "stable": self.stable,
            "customers": self.customers,
            "fit_seconds": self.fit_seconds,
            "renames": self.renames,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segmentation:
        segments = tuple(SegmentInfo(**{**s, "centroid": tuple(s["centroid"])}) for s in data["segments"])
        return cls(
            method=data["method"],
            k=int(data["k"]),
            cutoff=data["cutoff"],
            fitted_at=data["fitted_at"],
            seed=int(data["seed"]),
            features=tuple(data["features"]),
            tags=tuple(data["tags"]),
            scaler=Scaler.from_json(data["scaler"]),
            segments=segments,
            silhouette_by_k={int(k): float(v) for k, v in data["silhouette_by_k"].items()},
            stability_by_k={int(k): float(v) for k, v in data["stability_by_k"].items()},
            stability_ari=float(data["stability_ari"]),
            silhouette=float(data["silhouette"]),
            customers=int(data["customers"]),
            fit_seconds=float(data.get("fit_seconds", 0.0)),
            renames=dict(data.get("renames", {})),
        )

    def renamed(self, segment_id: str, zh: str, en: str) -> Segmentation:
        segments = tuple(
            replace(s, name_zh=zh, name_en=en, renamed=True) if s.id == segment_id else s for s in self.segments
        )
        return replace(self, segments=segments, renames={**self.renames, segment_id: {"zh": zh, "en": en}})


def folder(lake: Lake) -> Path:
    return lake.root / FOLDER


def save(lake: Lake, segmentation: Segmentation, stamp: str | None = None) -> Path:
    """Write ``current.json`` (and, with ``stamp``, the fit's own copy) atomically, owner-only."""
    text = json.dumps(segmentation.to_json(), ensure_ascii=False, indent=2)
    base = private_dir(folder(lake))
    if stamp is not None:
        _atomic(private_dir(base / "fits") / f"{stamp}.json", text)
    return _atomic(base / CURRENT, text)


def _atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    private_file(tmp)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def load(lake: Lake) -> Segmentation | None:
    path = folder(lake) / CURRENT
    if not path.exists():
        return None
    return Segmentation.from_json(json.loads(path.read_text(encoding="utf-8")))
