"""The API pages render in a real browser that cannot reach the internet, as on a bank's intranet.

A live server (uvicorn, SQLite) is loaded by headless Chromium with every non-loopback request refused; the DOM
after the scripts ran must hold Swagger UI's block for every path of the spec and ReDoc's title for every
operation. A probe page first shows that the same flags do block a host that is otherwise reachable, and a CDN.
Screenshots go to the test's directory, or to ``CALLWISE_SCREENSHOTS`` (docs/screenshots/ is made so).
"""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.web import browser
from tests.web.live_server import HOST, Keys, LiveServer, live_database

PROBE_HOST = "probe.callwise.test"  # resolved to loopback by a rule, but a name Chromium does not bypass proxies for
CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
PROBE_PAGE = """<!doctype html><html><body data-probe="waiting" data-cdn="waiting">
<script src="http://{host}:{port}/probe.js" onload="document.body.dataset.probe='loaded'"
        onerror="document.body.dataset.probe='blocked'"></script>
<script src="{cdn}" onload="document.body.dataset.cdn='loaded'" onerror="document.body.dataset.cdn='blocked'"></script>
</body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the test's output stays readable
        pass


@pytest.fixture
def probe_site(tmp_path) -> Iterator[str]:
    """A static site on loopback: ``probe.html`` names its script by PROBE_HOST, and a CDN's script."""
    site = tmp_path / "site"
    site.mkdir()
    server = ThreadingHTTPServer((HOST, 0), partial(_Quiet, directory=str(site)))
    port = server.server_address[1]
    (site / "probe.html").write_text(PROBE_PAGE.format(host=PROBE_HOST, port=port, cdn=CDN), encoding="utf-8")
    (site / "probe.js").write_text("void 0;\n", encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{port}/probe.html"
    finally:
        server.shutdown()
        server.server_close()


def _probe(dom: str) -> tuple[str, str]:
    body = re.search(r'<body data-probe="(\w+)" data-cdn="(\w+)"', dom)
    assert body, dom[:2000]
    return body[1], body[2]


def test_the_offline_flags_block_every_host_but_loopback(probe_site, tmp_path):
    to_probe = f"MAP {PROBE_HOST} {HOST}"
    online = browser.run(probe_site, tmp_path / "online", [f"--host-resolver-rules={to_probe}"])
    assert _probe(online)[0] == "loaded", "the probe cannot tell a load from a block"
    offline = browser.run(probe_site, tmp_path / "offline", browser.offline(resolve=to_probe))
    assert _probe(offline) == ("blocked", "blocked")


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("docs_live")
    keys = Keys.new()
    with live_database("sqlite", tmp) as db:
        env = {**keys.env(), "CALLWISE_DB_URL": db.url, "CALLWISE_DATA_DIR": str(tmp)}
        with LiveServer(env, tmp / "server.log") as server:
            yield server.url


@pytest.fixture(scope="module")
def spec(live) -> dict:
    return httpx.get(f"{live}/api/v1/openapi.json", timeout=10).json()


def _screenshot_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("CALLWISE_SCREENSHOTS")
    directory = Path(wanted) if wanted else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _operations(spec: dict) -> list[dict]:
    return [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and "summary" in op]


def test_swagger_ui_renders_every_path_offline(live, spec, tmp_path):
    url = f"{live}/api/v1/docs"
    dom = browser.run(url, tmp_path / "profile", browser.offline())
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert rendered == set(spec["paths"]), sorted(set(spec["paths"]) ^ rendered)
    shot = _screenshot_dir(tmp_path) / "api-docs.png"
    browser.run(url, tmp_path / "profile", browser.offline(), screenshot=shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 50_000  # a blank page is ~9 kB


def test_redoc_renders_every_operation_offline(live, spec, tmp_path):
    url = f"{live}/api/v1/redoc"
    dom = browser.run(url, tmp_path / "profile", browser.offline())
    # Each operation's heading: an anchor to its operationId, then its summary.
    heading = r'<h2[^>]*><a [^>]*href="#tag/[^"]*/operation/([^"]+)"[^>]*></a>([^<]*)</h2>'
    titles = {op_id: html.unescape(title).strip() for op_id, title in re.findall(heading, dom)}
    expected = {op["operationId"]: op["summary"] for op in _operations(spec)}
    assert expected and titles == expected
    shot = _screenshot_dir(tmp_path) / "api-redoc.png"
    browser.run(url, tmp_path / "profile", browser.offline(), screenshot=shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 50_000
