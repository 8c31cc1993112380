"""JSON files people and programs read back: UTF-8, sorted keys, indented; NumPy values written as plain ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` (NumPy scalars and arrays become numbers and lists)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)
    path.write_text(text + "\n", encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
