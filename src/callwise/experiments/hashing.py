"""A stable uniform number per (salt, customer): the source of every random assignment.

u = top 53 bits of SplitMix64-finalise(FNV-1a-64(UTF-8 bytes of f"{salt}{customer_id}")) / 2**53.

Both halves are public, tiny algorithms with published test vectors, written here over NumPy ``uint64``
(wrap-around arithmetic, identical on every platform and NumPy version); nothing depends on Python's
``hash``, pandas' ``hash_array`` or any library whose hash may change. An auditor can recompute one
customer's u by hand with the ten lines in the decision record. Rows are processed one byte column at a
time (rows sorted by length, so each column is a slice), which hashes a million ids in a fraction of a
second where ``hashlib`` in a Python loop takes over a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GOLDEN = 0x9E3779B97F4A7C15
MASK64 = 0xFFFFFFFFFFFFFFFF


def fnv1a_prefix(text: str) -> int:
    """FNV-1a-64 state after the bytes of ``text`` (the salt is shared by all rows, so hash it once)."""
    state = FNV_OFFSET
    for byte in text.encode("utf-8"):
        state = ((state ^ byte) * FNV_PRIME) & MASK64
    return state


def splitmix_finalise(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function: spreads every input bit over all 64 output bits."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _utf8_buffers(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The ids' UTF-8 bytes and row offsets, straight from an Arrow string array (no per-row Python)."""
    arr = pa.array(ids, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    return (np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)), offsets


def hash64(ids: pd.Series, salt: str) -> np.ndarray:
    """SplitMix64-finalised FNV-1a-64 of f"{salt}{id}" for every id (text), as ``uint64``."""
    data, offsets = _utf8_buffers(ids)
    starts, lengths = offsets[:-1], np.diff(offsets)
    order = np.argsort(-lengths, kind="stable")  # longest first: the rows still going are a prefix
    starts, lengths = starts[order], lengths[order]
    state = np.full(len(order), fnv1a_prefix(salt), dtype=np.uint64)
    prime = np.uint64(FNV_PRIME)
    # rows with more than j bytes, for each byte position j (lengths are descending, so -lengths ascends)
    active = np.searchsorted(-lengths, -np.arange(int(lengths.max(initial=0))), side="left")
    with np.errstate(over="ignore"):
        for j, k in enumerate(active.tolist()):
            state[:k] = (state[:k] ^ data[starts[:k] + j].astype(np.uint64)) * prime
    out = np.empty_like(state)
    out[order] = state
    return splitmix_finalise(out)


def to_uniform(h: np.ndarray) -> np.ndarray:
    """The hash's top 53 bits as a float in [0, 1) (exact: float64 holds 53 bits)."""
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def uniform(ids: pd.Series, salt: str) -> np.ndarray:
    """A number in [0, 1) per id, from the hash of f"{salt}{id}"."""
    return to_uniform(hash64(ids, salt))
