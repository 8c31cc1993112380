"""The Parquet lake: one Parquet file per table, queried through Ibis."""

from pathlib import Path

from callwise.lake.store import Lake


def open_lake(root: str | Path | None = None, engine: str | None = None) -> Lake:
    """The lake at ``root``, or at ``$CALLWISE_DATA_DIR/lake``; ``engine`` overrides CALLWISE_ENGINE."""
    from callwise.settings import get_settings

    settings = get_settings()
    return Lake(root or settings.data_dir / "lake", engine or settings.engine, settings.threads)


__all__ = ["Lake", "open_lake"]
