"""Text that is not Unicode is refused in one place, before any route sees it: a 422 naming where it is.

JSON may spell a lone surrogate as an escape (``"\\ud800"``) and Python's parser accepts it; such a string then
fails wherever it is encoded (the database driver, the response, a log line) as a 500. A URL whose
percent-decoded bytes are not UTF-8 would reach the routes as replacement characters. This ASGI middleware
checks the path, the query and every key and value of a JSON body, at any depth.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from callwise.web.errors import send_error

# Where a JSON body in UTF-8 can hold a surrogate at all: an escape \uD800–\uDFFF. Without one the body is not
# parsed here, so the usual request pays one regular-expression scan.
_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_TEXT = "holds a lone surrogate or bytes that are not UTF-8, which is not text; send valid Unicode"


class WellFormedText:
    """ASGI middleware: 422 for a path, query or JSON body holding text that is not Unicode."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = url_problem(scope)
        chunks: list[bytes] = []
        pending = None  # a disconnect that came before the end of the body, passed on as it came
        while where is None:
            message = await receive()
            if message["type"] != "http.request":
                pending = message
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        where = where or body_problem(body)
        if where is not None:
            await send_error(send, 422, "validation", [{"where": where, "problem": NOT_TEXT, "type": "string_unicode"}])
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return pending or {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def url_problem(scope: dict) -> str | None:
    """``path`` or ``query.<name>`` when its percent-decoded bytes are not UTF-8, else None."""
    try:
        unquote_to_bytes(scope.get("raw_path") or scope["path"].encode()).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return "path"
    for pair in (scope.get("query_string") or b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            shown = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "query"
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return f"query.{shown}"
    return None


def body_problem(body: bytes) -> str | None:
    """Where in a JSON body a key or a value holds a lone surrogate (``body.items.0.name``), else None.
    A body that is not JSON is left to the route, which says so."""
    if not body or (json.detect_encoding(body).startswith("utf-8") and not _ESCAPE.search(body)):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, str]] = [(value, "body")]
    while stack:  # a loop, not recursion: a deeply nested body must not exhaust the stack here
        item, where = stack.pop()
        if isinstance(item, str) and _SURROGATE.search(item):
            return where
        if isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return where  # the object whose key it is
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{i}") for i, child in enumerate(item))
    return None
