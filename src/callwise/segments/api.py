"""``fit_segments``: inputs → standardised matrix → clusters → stable ids → names → lake tables and profiles.

The clustering runs in NumPy and scikit-learn on the extracted matrix (rows in customer order, so the order
the lake hands them back in changes nothing); everything that reads or writes lake tables is Ibis.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import numpy as np
import pyarrow as pa

from callwise.clock import utcnow
from callwise.lake import Lake
from callwise.segments import ids, model, naming
from callwise.segments.assign import assign_segments
from callwise.segments.errors import SegmentError
from callwise.segments.fit import K_RANGE, METHODS, fit_clusters, nearest
from callwise.segments.inputs import DEFAULT_FEATURES, DEFAULT_WEIGHTS, input_table
from callwise.segments.model import Segmentation, SegmentInfo
from callwise.segments.profile import profiles
from callwise.segments.scale import fit_scaler

TABLE = "segments"
HISTORY = "segment_history"
SEGMENTS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string()),
        pa.field("segment_id", pa.string()),
        pa.field("distance", pa.float64()),
        pa.field("assigned_at", pa.timestamp("us")),
    ]
)
HISTORY_SCHEMA = pa.schema(
    [
        pa.field("cutoff", pa.timestamp("us")),
        pa.field("assigned_at", pa.timestamp("us")),
        pa.field("segment_id", pa.string()),
        pa.field("customers", pa.int64()),
    ]
)


def fit_segments(
    lake: Lake,
    cutoff: datetime,
    k: int | None = None,
    method: str = "kmeans",
    features: tuple[str, ...] | None = None,
    tags: tuple[str, ...] = (),
    weights: dict[str, float] | None = None,
    seed: int = 7,
    write: bool = True,
    ks: tuple[int, int] = K_RANGE,
    boots: int = 3,
) -> Segmentation:
    """Fit segments as of ``cutoff``; with ``write``, assign every customer (lake table ``segments``), append
    the sizes to ``segment_history`` and save the segmentation as ``current``. ``k`` None: chosen (see fit);
    ``features`` None: :data:`DEFAULT_FEATURES` (``()`` with ``tags``: the tags alone)."""
    if method not in METHODS:
        raise SegmentError("segments.bad_method", value=repr(method), choices=", ".join(METHODS))
    if (k is not None and k < 2) or ks[0] < 2:
        raise SegmentError("segments.bad_k", k=k if k is not None else ks[0])
    started = time.perf_counter()
    chosen = tuple(features) if features is not None else DEFAULT_FEATURES  # (): tags only
    if not chosen and not tags:
        raise SegmentError("segments.no_inputs")
    frame = input_table(lake, cutoff, chosen, tuple(tags)).to_pandas()
    if frame.empty:
        raise SegmentError("segments.no_customers", lake=str(lake.root))
    frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if k is not None and k >= len(frame):
        raise SegmentError("segments.k_too_large", k=k, customers=len(frame))
    columns = [c for c in frame.columns if c != "customer_id"]
    scaler = fit_scaler(frame, columns, {**DEFAULT_WEIGHTS, **(weights or {})})
    matrix = scaler.transform(frame)
    fitted = fit_clusters(matrix, method, k, seed, ks=ks, boots=boots)
    labels, _ = nearest(matrix, fitted.centroids)
    # Order the segments by size (largest first), then by centroid, so the first ids are the same every time.
    sizes = np.bincount(labels, minlength=len(fitted.centroids))
    order = sorted(range(len(sizes)), key=lambda j: (-int(sizes[j]), tuple(fitted.centroids[j])))
    order = [j for j in order if sizes[j] > 0]
    centroids = fitted.centroids[order]
    relabel = {old: new for new, old in enumerate(order)}
    labels = np.array([relabel[j] for j in labels])
    previous = model.load(lake)
    segment_ids = _ids(previous, frame, labels, len(order), (chosen, tuple(tags)))
    names = naming.auto_names(scaler, centroids, matrix.mean(axis=0), segment_ids)
    now = utcnow().replace(tzinfo=None)
    renames = dict(previous.renames) if previous is not None else {}
    renames = {sid: v for sid, v in renames.items() if sid in segment_ids}
    infos = []
    for j, sid in enumerate(segment_ids):
        zh, en = names[j]
        own = renames.get(sid)
        infos.append(
            SegmentInfo(
                id=sid,
                name_zh=own["zh"] if own else zh,
                name_en=own["en"] if own else en,
                auto_name_zh=zh,
                auto_name_en=en,
                renamed=own is not None,
                size=int((labels == j).sum()),
                share=round(float((labels == j).mean()), 6),
                centroid=tuple(round(float(x), 9) for x in centroids[j]),
            )
        )
    infos.sort(key=lambda s: s.id)
    silhouette = round(fitted.silhouette[fitted.k], 4)
    seg = Segmentation(
        method=method,
        k=len(infos),
        cutoff=cutoff.isoformat(),
        fitted_at=now.isoformat(timespec="seconds"),
        seed=seed,
        features=chosen,
        tags=tuple(tags),
        scaler=scaler,
        segments=tuple(infos),
        silhouette_by_k={c: round(v, 4) for c, v in fitted.silhouette.items()},
        stability_by_k={c: round(v, 4) for c, v in fitted.stability.items()},
        stability_ari=round(fitted.stability[fitted.k], 4),
        silhouette=silhouette,
        customers=len(frame),
        renames=renames,
    )
    if not write:
        return _with_seconds(seg, started)
    assigned = assign_segments(lake, seg, cutoff).to_pyarrow()
    table = pa.table(
        {
            "customer_id": assigned.column("customer_id").cast(pa.string()),
            "segment_id": assigned.column("segment_id").cast(pa.string()),
            "distance": assigned.column("distance").cast(pa.float64()),
            "assigned_at": pa.array([now] * assigned.num_rows, pa.timestamp("us")),
        },
        schema=SEGMENTS_SCHEMA,
    )
    lake.write(TABLE, table)
    found = profiles(lake, cutoff, seg.features, seg.tags)
    infos2 = []
    for info in seg.segments:
        p = found.get(info.id, {"size": 0, "share": 0.0})
        infos2.append(_replace_info(info, p))
    seg = _with_seconds(_replace_segments(seg, infos2), started)
    history = pa.table(
        {
            "cutoff": [cutoff] * len(infos2),
            "assigned_at": [now] * len(infos2),
            "segment_id": [s.id for s in infos2],
            "customers": [s.size for s in infos2],
        },
        schema=HISTORY_SCHEMA,
    )
    stamp = now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    lake.append(HISTORY, stamp, history, HISTORY_SCHEMA)
    model.save(lake, seg, stamp)
    return seg


def _ids(
    previous: Segmentation | None, frame, labels: np.ndarray, k: int, inputs: tuple[tuple[str, ...], tuple[str, ...]]
) -> list[str]:
    if previous is None or (previous.features, previous.tags) != inputs:
        return ids.first_ids(k)
    old_space = previous.scaler.transform(frame)
    centres = np.stack([old_space[labels == j].mean(axis=0) for j in range(k)])
    old = np.array([s.centroid for s in previous.segments], dtype=float)
    return ids.matched_ids(centres, old, [s.id for s in previous.segments])


def _replace_info(info: SegmentInfo, profile: dict) -> SegmentInfo:
    from dataclasses import replace

    return replace(info, size=int(profile["size"]), share=float(profile["share"]), profile=profile)


def _replace_segments(seg: Segmentation, infos: list[SegmentInfo]) -> Segmentation:
    from dataclasses import replace

    return replace(seg, segments=tuple(infos))


def _with_seconds(seg: Segmentation, started: float) -> Segmentation:
    from dataclasses import replace

    return replace(seg, fit_seconds=round(time.perf_counter() - started, 3))


def current_segmentation(lake: Lake) -> Segmentation | None:
    """The segmentation last fitted on this lake (None: none yet)."""
    return model.load(lake)


def rename_segment(lake: Lake, segment_id: str, zh: str, en: str) -> Segmentation:
    """Give a segment a person's names; kept across refreshes (the id is matched by centroid)."""
    seg = model.load(lake)
    if seg is None:
        raise SegmentError("segments.none")
    if seg.get(segment_id) is None:
        raise SegmentError("segments.unknown_segment", id=segment_id, known=", ".join(s.id for s in seg.segments))
    zh, en = zh.strip(), en.strip()
    if not zh or not en or len(zh) > 64 or len(en) > 64:
        raise SegmentError("segments.bad_name")
    taken = [s for s in seg.segments if s.id != segment_id and (s.name_zh == zh or s.name_en == en)]
    if taken:
        raise SegmentError("segments.name_taken", id=taken[0].id)
    renamed = seg.renamed(segment_id, zh, en)
    model.save(lake, renamed)
    return renamed
