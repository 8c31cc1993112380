"""The Parquet lake: one Parquet file per table, queried through Ibis."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from callwise.lake.store import Lake

if TYPE_CHECKING:
    from callwise.settings import Settings


def open_lake(root: str | Path | None = None, engine: str | None = None, settings: Settings | None = None) -> Lake:
    """The lake at ``root``, or at ``$CALLWISE_DATA_DIR/lake``, as the settings say (``engine`` overrides
    CALLWISE_ENGINE): the one place a lake is made from them."""
    from callwise.settings import get_settings

    s = settings or get_settings()
    return Lake(root or s.data_dir / "lake", engine or s.engine, s.threads, s.memory_limit, s.spill_dir)


__all__ = ["Lake", "open_lake"]
