"""Ingestion of the data contract: readers, normalisers, validation with reason codes, quarantine."""

from callwise.ingest.readers import SourceError, open_source, read_frame
from callwise.ingest.run import IngestError, IngestSummary, ingest_directory, ingest_files

__all__ = [
    "IngestError",
    "IngestSummary",
    "SourceError",
    "ingest_directory",
    "ingest_files",
    "open_source",
    "read_frame",
]
