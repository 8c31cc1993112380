"""A real Chromium driven through Selenium, for the dashboard's browser tests: pages, console, charts, axe, files.

Debian's ``chromium`` and its ``chromium-driver`` (``/usr/bin/chromedriver``, the same build, so the versions
always match; ``.ci/run`` installs both) are named explicitly, so Selenium Manager never looks for or downloads a
driver or a browser. The browser runs headless with the offline flags of ``tests.web.browser``: only loopback is
reachable, as on a bank intranet. Its console is read through ``goog:loggingPrefs`` (every SEVERE entry counts:
a failed request, a CSP refusal, an uncaught exception, a ``console.error``), and downloads land in a directory
the test chooses.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import chromium, offline

CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = Path(__file__).with_name("assets") / "axe.min.js"
IMPACTS = ("minor", "moderate", "serious", "critical")  # axe's impact levels, mildest first
WINDOW = (1366, 768)  # the smallest laptop screen the issue names

# For every `.chart`: whether ECharts holds an instance on it, and how many series have data and how many points.
# A series' points are its `data`; a chart fed from `dataset.source` counts the dataset's rows for every series.
_CHARTS_JS = """
return Array.from(document.querySelectorAll('.chart')).map(function (el) {
  var inst = window.echarts ? window.echarts.getInstanceByDom(el) : null;
  var state = {id: el.id || '', instance: !!inst, series: 0, with_data: 0, points: 0};
  if (!inst) { return state; }
  var option = inst.getOption() || {};
  var datasets = option.dataset || [];
  var rows = 0;
  datasets.forEach(function (d) { rows += (d && d.source && d.source.length) || 0; });
  (option.series || []).forEach(function (s) {
    var n = (s.data && s.data.length) || 0;
    if (!n && rows && !s.data) { n = rows; }
    state.series += 1;
    if (n > 0) { state.with_data += 1; }
    state.points += n;
  });
  return state;
});
"""

_AXE_RUN_JS = """
var done = arguments[arguments.length - 1];
window.axe.run(document, {resultTypes: ['violations']}).then(function (result) {
  done(result.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' '); })};
  }));
}).catch(function (error) { done({error: String(error)}); });
"""


@dataclass(frozen=True)
class ChartState:
    """What one `.chart` element holds after the page's scripts ran."""

    id: str
    instance: bool  # ECharts rendered into it
    series: int
    with_data: int  # series holding at least one point
    points: int

    @property
    def has_data(self) -> bool:
        return self.instance and self.with_data > 0


@dataclass(frozen=True)
class Violation:
    """One axe rule a page breaks, with up to five of the offending elements (CSS selectors)."""

    id: str
    impact: str
    help: str
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.id}: {self.help} ({', '.join(self.nodes)})"


def options(downloads: Path, window: tuple[int, int] = WINDOW) -> webdriver.ChromeOptions:
    """Headless Chromium, loopback only, its console recorded and its downloads saved to ``downloads`` unasked."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium()
    for flag in (
        "--headless=new",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        opts.add_argument(flag)
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio"):
        opts.add_argument(flag)  # nothing of its own goes out (it could not anyway: offline below)
    opts.add_argument(f"--window-size={window[0]},{window[1]}")
    opts.add_argument("--lang=zh-CN")  # the dashboard's default; a page's language comes from the session anyway
    for flag in offline():
        opts.add_argument(flag)
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox (CI containers run as root)
        opts.add_argument("--no-sandbox")
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
        },
    )
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return opts


def chromedriver() -> str:
    """The driver's path: ``CALLWISE_CHROMEDRIVER`` or Debian's; a missing one fails the test, never downloads."""
    path = os.environ.get("CALLWISE_CHROMEDRIVER") or CHROMEDRIVER
    if not Path(path).exists() and not shutil.which(path):
        raise RuntimeError(f"no chromedriver at {path} (apt-get install chromium-driver; .ci/run does it)")
    return path


class Browser:
    """One Chromium for a test module: ``with Browser(downloads) as b: b.open(url) ...``.

    Logins are remembered per (server, user): logging in again as the same user puts the saved session cookies
    back instead of posting the form again, so a module that visits many pages as five roles logs in five times.
    """

    def __init__(self, downloads: Path, window: tuple[int, int] = WINDOW) -> None:
        self.window = window
        self.downloads = downloads
        self.driver: webdriver.Chrome | None = None
        self._sessions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._seen: set[str] = set()

    def __enter__(self) -> Browser:
        self.downloads.mkdir(parents=True, exist_ok=True)
        service = Service(executable_path=chromedriver())
        self.driver = webdriver.Chrome(service=service, options=options(self.downloads, self.window))
        self.driver.set_script_timeout(60)
        self.driver.set_page_load_timeout(60)
        self.use_downloads(self.downloads)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.driver is not None:
            with contextlib.suppress(Exception):  # a browser that already died has nothing left to close
                self.driver.quit()
            self.driver = None

    @property
    def d(self) -> webdriver.Chrome:
        if self.driver is None:
            raise RuntimeError("the browser is not running (use it inside `with Browser(...)`)")
        return self.driver

    # pages ------------------------------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Load ``url`` and wait until the document and its scripts have loaded."""
        self.d.get(url)
        WebDriverWait(self.d, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")

    @property
    def url(self) -> str:
        return self.d.current_url

    def wait_for(self, css: str, timeout: float = 10.0) -> WebElement:
        """The first element matching ``css`` once it is in the page and visible; a timeout fails the test."""
        return WebDriverWait(self.d, timeout).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        )

    def login(self, base_url: str, username: str, password: str) -> None:
        """Be signed in as ``username``: through the /login form the first time, with the saved cookies after."""
        base = base_url.rstrip("/")
        self.d.delete_all_cookies()
        saved = self._sessions.get((base, username))
        if saved:
            self.open(f"{base}/login")  # cookies can only be set on a page of their own site
            for cookie in saved:
                self.d.add_cookie(cookie)
            return
        self.open(f"{base}/login")
        self.d.find_element(By.NAME, "username").send_keys(username)
        self.d.find_element(By.NAME, "password").send_keys(password)
        self.d.find_element(By.CSS_SELECTOR, "[type=submit]").click()
        WebDriverWait(self.d, 20).until(lambda d: urlsplit(d.current_url).path != "/login")
        self._sessions[(base, username)] = self.d.get_cookies()

    def cookies(self) -> dict[str, str]:
        """The current site's cookies (name → value), e.g. for an httpx request as the same session."""
        return {c["name"]: c["value"] for c in self.d.get_cookies()}

    # what the page shows ----------------------------------------------------------------------------------------

    def console_errors(self) -> list[str]:
        """The SEVERE console entries since the last call (reading drains the log); none is filtered out.

        A missing favicon would count too: the pages must name one (the vendored icon or ``data:,``).
        """
        return [e["message"] for e in self.d.get_log("browser") if e.get("level") == "SEVERE"]

    def charts(self) -> list[ChartState]:
        """Every `.chart` element of the page, with what ECharts holds in it."""
        return [ChartState(**state) for state in self.d.execute_script(_CHARTS_JS)]

    def wait_for_charts(self, timeout: float = 10.0) -> list[ChartState]:
        """The page's charts once ECharts holds an instance on every `.chart` (or as they are after ``timeout``)."""
        deadline = time.monotonic() + timeout
        states = self.charts()
        while not all(s.instance for s in states) and time.monotonic() < deadline:
            time.sleep(0.1)
            states = self.charts()
        return states

    def charts_with_data(self) -> tuple[int, int]:
        """(charts holding at least one series with at least one point, all `.chart` elements)."""
        states = self.charts()
        return sum(s.has_data for s in states), len(states)

    def axe(self, min_impact: str = "serious") -> list[Violation]:
        """The axe-core violations of the page at ``min_impact`` or worse (serious: serious and critical)."""
        floor = IMPACTS.index(min_impact)
        if not self.d.execute_script("return typeof window.axe === 'object' && !!window.axe.run"):
            self.d.execute_script(AXE.read_text(encoding="utf-8"))  # DevTools evaluation: the page's CSP allows it
        found = self.d.execute_async_script(_AXE_RUN_JS)
        if isinstance(found, dict):
            raise RuntimeError(f"axe could not check the page: {found.get('error')}")
        violations = [Violation(v["id"], v["impact"] or "minor", v["help"], tuple(v["nodes"])) for v in found]
        return [v for v in violations if IMPACTS.index(v.impact) >= floor]

    def transferred(self) -> int:
        """Bytes of the page and everything it loaded as they came over the wire (compressed bodies, no headers).

        ``encodedBodySize`` is counted, not ``transferSize``: a file the browser had cached from an earlier page
        still counts, so every page is weighed as a first visit.
        """
        return int(
            self.d.execute_script(
                "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".reduce(function (sum, e) { return sum + (e.encodedBodySize || 0); }, 0);"
            )
        )

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        """A PNG of the page (the whole page, or just the window), written to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not full_page:
            self.d.save_screenshot(str(path))
            return path
        shot = self.d.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "fromSurface": True}
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # downloads --------------------------------------------------------------------------------------------------

    def use_downloads(self, directory: Path) -> None:
        """Save later downloads to ``directory`` (one per test, while the browser lives for the module)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.downloads = directory
        self._seen = {p.name for p in directory.iterdir()}
        self.d.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(directory), "eventsEnabled": True}
        )

    def downloaded(self, timeout: float = 20.0) -> Path:
        """The next file to finish downloading into the download directory; none within ``timeout`` fails."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [
                p
                for p in self.downloads.iterdir()
                if p.name not in self._seen and not p.name.endswith((".crdownload", ".tmp")) and p.stat().st_size > 0
            ]
            if done and not any(p.name.endswith(".crdownload") for p in self.downloads.iterdir()):
                newest = max(done, key=lambda p: p.stat().st_mtime)
                self._seen.add(newest.name)
                return newest
            time.sleep(0.1)
        raise TimeoutError(f"no download finished in {self.downloads} within {timeout} s")
