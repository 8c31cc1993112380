"""The bytes pandas' ``to_csv`` writes for a frame, made a column at a time with Arrow instead of a row at a time.

pandas turns every cell into a Python string and hands the rows to the ``csv`` module: a million excluded
customers took seconds. Here each column becomes its text in one kernel (numbers exactly as pandas prints them:
NumPy's own text for floats, ``True``/``False`` for booleans), quoting follows the ``csv`` module's minimal rule
(a cell holding ``,``, ``"`` or a line feed is quoted, quotes doubled), and the rows are joined in Arrow. The file
is byte-for-byte what pandas wrote (docs/decisions/0024-vectorised-files.md). Frames this module does not
cover — dates, mixed or nullable columns, a lone column, labels that are not text — get ``None`` from
:func:`csv_columns`, and the caller keeps pandas.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROWS_PER_CHUNK = 200_000  # rows joined at once: bounds the memory of the text
_NEEDS_QUOTES = '[,"\n]'  # what the csv module quotes with QUOTE_MINIMAL, lineterminator "\n" and no escapechar


def csv_columns(frame: pd.DataFrame) -> list[pa.Array] | None:
    """Each column of ``frame`` as the text of its CSV cells (quoted where needed), or ``None`` if not covered.

    One column is left to pandas: the csv module quotes an empty cell that is alone on its row.
    """
    if frame.shape[1] < 2 or not all(isinstance(c, str) for c in frame.columns):
        return None
    out = []
    for i in range(frame.shape[1]):
        text = _cell_text(frame.iloc[:, i])
        if text is None:
            return None
        out.append(_quoted(text))
    return out


def header_line(names: list[str]) -> bytes:
    """The header row, under the same quoting as the cells."""
    return ",".join(_quoted(pa.array(names, pa.string())).to_pylist()).encode("utf-8") + b"\n"


def csv_chunks(columns: list[pa.Array]) -> Iterator[bytes]:
    """The data rows as UTF-8 bytes, a chunk of rows at a time, each row ended by ``\\n``."""
    rows = len(columns[0])
    for start in range(0, rows, ROWS_PER_CHUNK):
        rows_text = joined([c.slice(start, ROWS_PER_CHUNK) for c in columns], ",")
        yield end_to_end(joined([rows_text, pa.scalar("\n")], ""))


def joined(parts: list[pa.Array | pa.Scalar], separator: str) -> pa.Array:
    """The parts joined row by row, as ``large_string``: a chunk of long cells may pass the 2 GB ``string`` holds."""
    text = [p.cast(pa.large_string()) for p in parts]
    return pc.binary_join_element_wise(*text, pa.scalar(separator, pa.large_string()))


def end_to_end(lines: pa.Array | pa.ChunkedArray) -> bytes:
    """Every value of a ``string`` or ``large_string`` array one after the other, as UTF-8 bytes.

    The values lie end to end in the array's data buffer, so that run of the buffer is the text: no join in Python.
    """
    if isinstance(lines, pa.ChunkedArray):
        return b"".join(end_to_end(chunk) for chunk in lines.chunks)
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    size = np.dtype(width).itemsize
    offsets = np.frombuffer(lines.buffers()[1], dtype=width, count=len(lines) + 1, offset=lines.offset * size)
    data = lines.buffers()[2]
    start, stop = int(offsets[0]), int(offsets[-1])
    return b"" if data is None else data.slice(start, stop - start).to_pybytes()


def _cell_text(column: pd.Series) -> pa.Array | None:
    """The column's cells as pandas writes them (a missing value empty), or ``None`` for a kind left to pandas."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(column.to_numpy()), pa.string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pc.if_else(pa.array(column.to_numpy()), "True", "False")
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        present = ~np.isnan(values)
        text = pa.array(values[present].astype(str))  # NumPy's text for each float: what pandas writes
        return pc.fill_null(pc.replace_with_mask(pa.nulls(len(values), pa.string()), pa.array(present), text), "")
    if pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        if dtype == np.dtype(object) and pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None
        stored = arrow_text(column)
        return None if stored is None else pc.fill_null(stored, "")
    return None


def arrow_text(column: pd.Series) -> pa.Array | None:
    """A column of text (missing values null) as Arrow ``string``; ``None`` when Arrow cannot hold it.

    pandas' ``str`` columns hand over the Arrow data they hold; an object column of ``str`` is converted.
    """
    try:
        if column.dtype == np.dtype(object):
            return pa.array(column, type=pa.string(), from_pandas=True)
        stored = pa.array(column.array)
        whole = stored.combine_chunks() if isinstance(stored, pa.ChunkedArray) else stored
        return pc.cast(whole, pa.string())
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate, which no UTF-8 file holds: left to pandas
        return None


def _quoted(text: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)
