"""JSON files people and programs read back: UTF-8, sorted keys, indented; NumPy values written as plain ones.

``read_json`` is the one reader of such files (saved models, answer models): whatever damage a file has (cut
short, not UTF-8, nested too deeply, not an object), the caller gets its own error with one sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np

from callwise.i18n.errors import Term, Translated, say


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` (NumPy scalars and arrays become numbers and lists)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path, error: type[ValueError], what: str = "JSON") -> dict[str, Any]:
    """The JSON object in ``path``; any damage is ``error`` with "<path>: damaged <what> file (<why>)".

    ``what`` names the kind of file (``json.what.<what>`` in the catalogue). An ``error`` class that is
    ``Translated`` gets the sentence's key, so a command can say it in the reader's language.
    """
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise _damaged(error, path, what, Term("json.why.not_utf8")) from None
    except json.JSONDecodeError as exc:
        raise _damaged(
            error, path, what, Term("json.why.syntax", (("problem", exc.msg), ("line", exc.lineno)))
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. a number too long to read, nesting deeper than the stack
        raise _damaged(error, path, what, type(exc).__name__) from None
    if not isinstance(data, dict):
        raise _damaged(error, path, what, Term("json.why.not_object"))
    return data


def _damaged(error: type[ValueError], path: Path, what: str, why: Term | str) -> Exception:
    values: dict[str, object] = {"path": path, "what": Term(f"json.what.{what}"), "why": why}
    if issubclass(error, Translated):
        return cast("type[Translated]", error)("json.damaged", **values)
    return error(say("json.damaged", "en", **values))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
