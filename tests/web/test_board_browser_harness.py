"""The browser harness itself, on small pages served from loopback: it must see what it claims to see.

A page that loads the vendored ECharts, draws one chart, leaves another empty, logs one console error and shows
an image without alt text must give exactly that error, one chart of two with data, and axe's image-alt
violation; a clean page must give none of them, so neither check passes by always passing. The pages are served
with the dashboard's ``script-src 'self'`` (and no inline styles): axe, injected through WebDriver, must run under it.
"""

from __future__ import annotations

import csv
import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from selenium.common.exceptions import TimeoutException

import callwise.web
from tests.web.board_browser import AXE, Browser

VENDOR = Path(callwise.web.__file__).with_name("static") / "vendor"
CSP = "default-src 'self'; script-src 'self'; img-src 'self' data:"  # the dashboard's scripts rule; stricter on styles
HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    '<link rel="icon" href="data:,"><link rel="stylesheet" href="/probe.css">'
)
CHART_JS = """
var chart = echarts.init(document.getElementById('drawn'));
chart.setOption({xAxis: {type: 'category', data: ['a', 'b', 'c']}, yAxis: {type: 'value'},
                 series: [{type: 'bar', data: [3, 1, 2]}]});
console.error('planted error for the harness');
"""
PAGES = {
    "/dirty.html": HEAD.format(title="dirty")
    + """<script src="/echarts.min.js"></script></head><body><main><h1>Dirty</h1>
<div class="chart" id="drawn"></div>
<div class="chart" id="empty"></div>
<img src="/dot.png">
<script src="/chart.js"></script></main></body></html>""",
    "/clean.html": HEAD.format(title="clean")
    + """</head><body><main><h1>Clean</h1><p>Nothing wrong here.</p>
<img src="/dot.png" alt="a dot"><a href="/table.csv" data-export="csv">CSV</a>
<button type="button" id="later">Later</button></main></body></html>""",
    "/cdn.html": HEAD.format(title="cdn")
    + """<script src="https://cdn.jsdelivr.net/npm/echarts@6/dist/echarts.min.js"></script></head>
<body><main><h1>CDN</h1></main></body></html>""",
    "/styled.html": HEAD.format(title="styled")
    + """</head><body><main><h1 style="color: #333">Styled</h1></main></body></html>""",
    "/login": HEAD.format(title="login")
    + """</head><body><main><h1>Sign in</h1><form method="post" action="/login">
<label>User <input name="username"></label><label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></main></body></html>""",
}


class _Site(BaseHTTPRequestHandler):
    """The pages above, the vendored ECharts, a PNG, a CSV download and a cookie login, counting its POSTs."""

    posts: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in PAGES:
            self._send(200, PAGES[path].encode(), "text/html; charset=utf-8")
        elif path == "/echarts.min.js":
            cached = {"Cache-Control": "max-age=3600"}  # as the board's static files may be
            self._send(200, (VENDOR / "echarts.min.js").read_bytes(), "text/javascript", cached)
        elif path == "/probe.css":
            self._send(200, b".chart { width: 400px; height: 300px; }", "text/css")
        elif path == "/chart.js":
            self._send(200, CHART_JS.encode(), "text/javascript")
        elif path == "/dot.png":
            self._send(200, (VENDOR / "favicon-32x32.png").read_bytes(), "image/png")
        elif path == "/table.csv":
            body = "\ufeffcampaign,dials\r\nC1,12\r\nC2,7\r\n".encode()
            self._send(200, body, "text/csv", {"Content-Disposition": 'attachment; filename="table.csv"'})
        elif path == "/home":
            signed = "session=ok" in (self.headers.get("Cookie") or "")
            heading = "<h1>home</h1>" if signed else "<h1>forbidden</h1>"
            self._send(200 if signed else 403, (HEAD.format(title="home") + heading).encode(), "text/html")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.posts.append(self.rfile.read(length).decode())
        self.send_response(303)
        self.send_header("Location", "/home")
        self.send_header("Set-Cookie", "session=ok; HttpOnly; SameSite=Lax; Path=/")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chrome(tmp_path_factory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("downloads")) as running:
        yield running


def test_it_sees_the_console_error_the_chart_data_and_the_missing_alt(chrome, site):
    chrome.open(f"{site}/dirty.html")
    errors = chrome.console_errors()
    assert len(errors) == 1 and "planted error for the harness" in errors[0], errors
    assert chrome.charts_with_data() == (1, 2)
    drawn, empty = chrome.charts()
    assert (drawn.id, drawn.instance, drawn.series, drawn.with_data, drawn.points) == ("drawn", True, 1, 1, 3)
    assert (empty.id, empty.instance, empty.points) == ("empty", False, 0)
    weighed = chrome.transferred()  # this server compresses nothing: ECharts counts in full
    assert (VENDOR / "echarts.min.js").stat().st_size < weighed < (VENDOR / "echarts.min.js").stat().st_size + 50_000
    violations = chrome.axe()
    assert "image-alt" in {v.id for v in violations}, [str(v) for v in violations]
    assert all(v.impact in {"serious", "critical"} for v in violations)


def test_a_clean_page_gives_no_error_no_chart_and_no_violation(chrome, site):
    chrome.open(f"{site}/clean.html")
    assert chrome.console_errors() == []
    assert chrome.charts_with_data() == (0, 0)
    assert chrome.axe("minor") == []


def test_a_cached_file_still_counts_in_the_weight(chrome, site):
    chrome.open(f"{site}/dirty.html")
    first = chrome.transferred()
    chrome.console_errors()
    chrome.open(f"{site}/dirty.html")
    sent = "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/echarts.min.js'))[0]"
    assert chrome.d.execute_script(sent + ".transferSize") == 0, "the second visit did not use the cache"
    assert chrome.transferred() == first
    chrome.console_errors()


def test_a_cdn_script_is_refused_and_the_refusal_is_a_console_error(chrome, site):
    chrome.open(f"{site}/cdn.html")
    errors = chrome.console_errors()
    assert errors and any("cdn.jsdelivr.net" in e for e in errors), errors
    assert chrome.d.execute_script("return typeof window.echarts") == "undefined"


def test_an_inline_style_attribute_is_a_csp_error(chrome, site):
    """What a template's ``style="..."`` does under the dashboard's CSP (unless it allows inline styles)."""
    chrome.open(f"{site}/styled.html")
    errors = chrome.console_errors()
    assert len(errors) == 1 and "Content Security Policy" in errors[0], errors


def test_an_export_link_downloads_a_file_that_opens(chrome, site, tmp_path):
    chrome.use_downloads(tmp_path / "downloads")
    chrome.open(f"{site}/clean.html")
    chrome.wait_for('a[data-export="csv"]').click()
    saved = chrome.downloaded()
    assert saved.parent == tmp_path / "downloads" and saved.name == "table.csv"
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["campaign", "dials"], ["C1", "12"], ["C2", "7"]]
    with pytest.raises(TimeoutError):
        chrome.downloaded(timeout=0.5)  # the same file is not a second download


def test_login_posts_the_form_once_then_reuses_the_cookie(chrome, site):
    _Site.posts.clear()
    chrome.login(site, "analyst1", "Correct-Horse-42")
    assert chrome.url == f"{site}/home" and chrome.cookies() == {"session": "ok"}
    assert _Site.posts == ["username=analyst1&password=Correct-Horse-42"]
    chrome.login(site, "analyst1", "Correct-Horse-42")  # starts from no cookies, puts the saved one back
    chrome.open(f"{site}/home")
    assert chrome.wait_for("h1").text == "home" and len(_Site.posts) == 1
    chrome.d.delete_all_cookies()
    chrome.open(f"{site}/home")
    assert chrome.wait_for("h1").text == "forbidden"
    assert any("403" in e for e in chrome.console_errors())  # a refused page load is a console error too


def test_wait_for_and_screenshot(chrome, site, tmp_path):
    chrome.open(f"{site}/clean.html")
    assert chrome.wait_for("#later").text == "Later"
    with pytest.raises(TimeoutException):
        chrome.wait_for("#never", timeout=0.5)
    png = chrome.screenshot(tmp_path / "shots" / "clean.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == chrome.d.execute_script("return window.innerWidth * window.devicePixelRatio")


def test_the_axe_file_is_the_one_its_readme_names():
    text = (AXE.parent / "README.md").read_text(encoding="utf-8")
    (digest,) = re.findall(r"^\| `axe\.min\.js` \|.*\| `([0-9a-f]{64})` \|$", text, flags=re.M)
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == digest
    for licence in ("axe.LICENSE.txt", "axe.LICENSE-3RD-PARTY.txt"):
        assert (AXE.parent / licence).stat().st_size > 0
