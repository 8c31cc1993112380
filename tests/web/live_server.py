"""A real service for the tests that need one: uvicorn in a subprocess, a database, keys and a TCP proxy.

TestClient runs the app in the test's own process, so it cannot show what a crash or a lost database does.
These helpers start ``callwise.web.server:app_from_env`` the way an operator does (CALLWISE_* variables),
on a SQLite file or a fresh PostgreSQL schema, and can kill it with SIGKILL or cut its database connection.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import Engine, make_url

from callwise.clock import utcnow
from callwise.ops.customers import Pii
from callwise.ops.db import make_engine, scratch_schema, session_factory, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import Customer
from callwise.ops.users import issue_token
from callwise.security.crypto import LookupHasher, PiiCipher
from callwise.security.tokens import Scopes

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Keys:
    """Fresh PII keys, as the server reads them from its environment and as the tests seal data with."""

    pii_key: bytes
    lookup_key: bytes

    @classmethod
    def new(cls) -> Keys:
        return cls(os.urandom(32), os.urandom(32))

    def env(self) -> dict[str, str]:
        return {
            "CALLWISE_PII_KEYS": "k1:" + base64.b64encode(self.pii_key).decode(),
            "CALLWISE_LOOKUP_KEY": base64.b64encode(self.lookup_key).decode(),
        }

    def pii(self) -> Pii:
        return Pii(PiiCipher({"k1": self.pii_key}), LookupHasher(self.lookup_key))


@dataclass
class LiveDatabase:
    """A migrated database: ``url`` is what the server is given, ``engine`` is the test's own connection."""

    backend: str
    url: str
    engine: Engine

    def url_via(self, host: str, port: int) -> str:
        """The server's URL reaching the same database through another address (a proxy)."""
        return make_url(self.url).set(host=host, port=port).render_as_string(hide_password=False)


@contextlib.contextmanager
def live_database(backend: str, directory: Path) -> Iterator[LiveDatabase]:
    """A SQLite file under ``directory``, or a fresh schema on CALLWISE_TEST_PG_URL dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'callwise.db'}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield LiveDatabase(backend, url, engine)
        finally:
            engine.dispose()
        return
    base = os.environ.get("CALLWISE_TEST_PG_URL")
    if not base:
        pytest.skip("CALLWISE_TEST_PG_URL is not set (CI sets it)")
    with scratch_schema(base, "cw_live") as url:  # the server gets the schema in its URL, as an operator would
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield LiveDatabase(backend, url, engine)
        finally:
            engine.dispose()


def seed_customers(engine: Engine, pii: Pii, count: int) -> list[str]:
    """``count`` consenting customers with encrypted phones and names; returns their ids."""
    ids = [f"C{i:05d}" for i in range(count)]
    rows = []
    for n, cid in enumerate(ids):
        phone = f"138{n:08d}"
        rows.append(
            {
                "customer_id": cid,
                "phone_enc": pii.seal(cid, "phone", phone),
                "phone_lookup": pii.lookup(phone),
                "name_enc": pii.seal(cid, "name", "张三"),
                "consent_marketing": True,
            }
        )
    with engine.begin() as connection:
        connection.execute(Customer.__table__.insert(), rows)
    return ids


def machine_token(engine: Engine, scopes: str, name: str = "dialer") -> str:
    """The secret of a machine token holding ``scopes`` (space-separated), valid for a day."""
    with transaction(session_factory(engine)) as session:
        secret, _ = issue_token(session, name, "machine", Scopes.parse(scopes), utcnow() + timedelta(days=1), None)
    return secret


class LiveServer:
    """``uvicorn callwise.web.server:app_from_env --factory`` on loopback, with its output in ``log``; with
    ``serve_args`` (a list, maybe empty) it is ``callwise serve`` with them instead, as an operator starts it."""

    def __init__(
        self, env: dict[str, str], log: Path, port: int | None = None, serve_args: list[str] | None = None
    ) -> None:
        self.env, self.log, self.port, self.serve_args = env, log, port or free_port(), serve_args
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        """Start and wait until the health check answers 200; a server that dies or stays silent is an error."""
        if self.serve_args is None:
            command = [sys.executable, "-m", "uvicorn", "callwise.web.server:app_from_env", "--factory"]
            command += ["--host", HOST, "--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        else:
            command = [str(Path(sys.executable).with_name("callwise")), "serve", "--host", HOST]
            command += ["--port", str(self.port), *self.serve_args]
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            command, env=self._environment(), stdout=self._log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log_tail()}")

    def _environment(self) -> dict[str, str]:
        """This shell's environment without its CALLWISE_* settings, plus the test's: nothing leaks in."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("CALLWISE_")}
        return {**inherited, **self.env}

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no rollback, open transactions cut off mid-way."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> LiveServer:
        return self.start() if self.process is None else self

    def __exit__(self, *_: object) -> None:
        self.stop()


class TcpProxy:
    """A TCP relay to ``target`` on a fixed local port; ``close`` cuts every connection, ``open`` listens again.

    Closing it looks to the server like a database host that went away: live connections die and new ones are
    refused, while the database itself (and what it holds) stays as it was.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()
        self._pumps: list[threading.Thread] = []
        self._lock = threading.Lock()

    def open(self) -> TcpProxy:
        listener = socket.create_server((HOST, self.port))
        listener.settimeout(0.05)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()
        return self

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if self._acceptor is not None:
            self._acceptor.join(5)  # it stops within one accept timeout once the listener is no longer current
        if listener is not None:
            listener.close()
        with self._lock:
            live, self._sockets = self._sockets, set()
            pumps, self._pumps = self._pumps, []
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for pump in pumps:
            pump.join(5)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            pumps = [
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True),
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True),
            ]
            with self._lock:
                self._sockets |= {client, upstream}
                self._pumps += pumps
            for pump in pumps:
                pump.start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TcpProxy:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()
