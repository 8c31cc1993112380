"""A webhook receiver as a bank's CRM would run it: checks the signature, remembers idempotency keys.

It runs http.server in a thread on a free local port, records every request, can answer 503 for the first
N requests (or any fixed status), can be slow, and counts deliveries that repeat an idempotency key.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from callwise.loop.senders import verify_signature


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0
    fail_status: int = 503
    status: int = 200
    delay: float = 0.0
    retry_after: str | None = None
    requests: list[Request] = field(default_factory=list)
    processed: dict[str, int] = field(default_factory=dict)  # idempotency key → times it was acted on
    duplicates: int = 0

    def start(self) -> None:
        owner = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = verify_signature(
                    owner.secret,
                    body,
                    self.headers.get("X-Callwise-Signature"),
                    self.headers.get("X-Callwise-Timestamp"),
                )
                with lock:
                    if owner.delay:
                        time.sleep(owner.delay)
                    status = owner._status(ok, body, self.headers.get("Idempotency-Key"))
                    owner.requests.append(Request(self.path, dict(self.headers), body, ok, status))
                try:
                    self.send_response(status)
                    if status in (429, 503) and owner.retry_after:
                        self.send_header("Retry-After", owner.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def _status(self, signature_ok: bool, body: bytes, key: str | None) -> int:
        if not signature_ok:
            return 401
        if len(self.requests) < self.fail_first:
            return self.fail_status
        if self.status >= 300:
            return self.status
        json.loads(body)
        if key in self.processed:
            self.duplicates += 1
        self.processed[key] = self.processed.get(key, 0) + 1
        return self.status

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/callwise"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
