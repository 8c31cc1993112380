"""The dashboard in a real browser: every page in both languages, as a role that may see it, on a live server.

One uvicorn subprocess (as `callwise serve` runs it, CALLWISE_* settings) on a SQLite file seeded by ``seed``,
one headless Chromium for the module (``tests.web.board_browser``), cut off from everything but loopback. Every
page must load without a console error, draw every chart with data, weigh at most 1.5 MB as sent and pass
axe-core with no serious or critical violation; a role without the page's permission gets 403; the language
switch keeps the path and query; an export link downloads a file that opens; a POST without the CSRF token is
refused. Screenshots of every page go to ``CALLWISE_SCREENSHOTS`` when it names a directory (``docs/screenshots``
is made so), else to a temporary one.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, select

from callwise.clock import utcnow
from callwise.lake import Lake
from callwise.ops.customers import sync_customers
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import Campaign, User
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.ops.users import create_user, roles_of
from callwise.security.rbac import ROLE_PERMISSIONS, Role, permissions_for
from callwise.web.ui.registry import PAGES, Page
from tests.web.board_browser import Browser
from tests.web.live_server import LiveServer, live_database

PASSWORD = "Correct-Horse-42"
LANGS = ("zh", "en")
MAX_PAGE_BYTES = 1_500_000  # the ceiling for a page with everything it loads, as sent (gzip)
# The role a page is seen as: the first of these holding its permission (so most roles get some pages).
ROLE_ORDER = (Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR, Role.AGENT, Role.ADMIN)


@dataclass(frozen=True)
class Seeded:
    """What the seeding made: a user name and password per role, and the ids ``Page.example`` placeholders take;
    ``permissions``: what each role's user may do, read back from the database (a demo user may hold more roles)."""

    users: dict[str, tuple[str, str]]
    ids: dict[str, str]
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)


def with_permissions(seeded: Seeded, engine: Engine) -> Seeded:
    with session_factory(engine)() as session:
        granted = {}
        for role, (username, _) in seeded.users.items():
            user_id = session.scalars(select(User.user_id).where(User.username == username)).one()
            granted[role] = permissions_for(roles_of(session, user_id))
    return replace(seeded, permissions=granted)


def seed(data_dir: Path, engine: Engine, small_bank: dict) -> Seeded:
    """The board's data: the small synthetic bank's lake copied under ``data_dir`` (the server's data directory),
    and the ops database seeded by the demo's ``seed_board``, so the screenshots show what ``make demo`` shows.

    Until ``callwise.demo_board`` is on the branch, ``seed_minimal`` stands in (remove it once it is).
    """
    shutil.copytree(small_bank["root"] / "lake", data_dir / "lake")
    lake = Lake(data_dir / "lake", threads=1)
    if importlib.util.find_spec("callwise.demo_board") is None:
        return seed_minimal(engine, lake)
    from callwise.demo_board import seed_board  # type: ignore[import-not-found,unused-ignore]

    board = seed_board(engine, lake, small_bank["bank"])
    users = {u.role: (u.username, u.password) for u in board.users}
    return with_permissions(
        Seeded(users, {"campaign_id": board.campaign_ids[0], "customer_id": board.customer_id}), engine
    )


def seed_minimal(engine: Engine, lake: Lake) -> Seeded:
    """The lake's customers synced, one campaign with a few outcomes, and ``<role>1`` per role (the supervisor
    runs the first agent's team, the agent is that agent)."""
    factory = session_factory(engine)
    sync_customers(factory, lake)
    agent = lake.table("agents").select("agent_id", "team").order_by("agent_id").limit(1).to_pyarrow().to_pylist()[0]
    customers = lake.table("customers").select("customer_id").order_by("customer_id").limit(40).to_pyarrow()
    ids = [row["customer_id"] for row in customers.to_pylist()]
    product = lake.table("products").select("product_id").order_by("product_id").limit(1).to_pyarrow()
    product_id = product.to_pylist()[0]["product_id"]
    users: dict[str, tuple[str, str]] = {}
    now = utcnow()
    dispositions = ("no_answer", "answered", "interested", "converted", "busy", "refused", "callback_requested")
    with transaction(factory) as session:
        for role in Role:
            user = create_user(session, f"{role.value}1", PASSWORD, [role.value], "setup", None)
            users[role.value] = (user.username, PASSWORD)
            user.teams = agent["team"] if role is Role.SUPERVISOR else None
            user.agent_id = agent["agent_id"] if role is Role.AGENT else None
        session.add(
            Campaign(campaign_id="board-demo", name="Board demo", product_id=product_id, spec={}, created_by="t")
        )
        session.flush()
        outcomes = [
            OutcomeIn(
                idempotency_key=f"board-{i}",
                customer_id=cid,
                disposition=dispositions[i % len(dispositions)],
                ts=now - timedelta(hours=i % 48),
                campaign_id="board-demo",
                product_id=product_id,
                agent_id=agent["agent_id"],
                duration_s=30.0 + i,
            )
            for i, cid in enumerate(ids)
        ]
        record_outcomes(session, outcomes, "setup")
    return with_permissions(Seeded(users, {"campaign_id": "board-demo", "customer_id": ids[0]}), engine)


@dataclass(frozen=True)
class Site:
    url: str
    seeded: Seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory, small_bank, pii_key_settings) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("board_live")
    with live_database("sqlite", tmp) as db:
        seeded = seed(tmp, db.engine, small_bank)
        env = {**pii_key_settings, "CALLWISE_DB_URL": db.url, "CALLWISE_DATA_DIR": str(tmp), "CALLWISE_LANG": "zh"}
        with LiveServer(env, tmp / "server.log") as server:
            yield Site(server.url, seeded)


@pytest.fixture(scope="module")
def chrome(tmp_path_factory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("board_downloads")) as running:
        yield running


def role_for(site: Site, page: Page) -> str:
    """The first role of ``ROLE_ORDER`` whose user may see ``page``."""
    return next(r.value for r in ROLE_ORDER if page.permission in site.seeded.permissions[r.value])


def url_of(site: Site, page: Page) -> str:
    return site.url + page.example_path(**site.seeded.ids)


def log_in(chrome: Browser, site: Site, role: str) -> None:
    username, password = site.seeded.users[role]
    chrome.login(site.url, username, password)


def lang_of(chrome: Browser) -> str:
    return str(chrome.d.execute_script("return document.documentElement.lang || ''"))[:2]


def switch_to(chrome: Browser, lang: str) -> None:
    """Show the current page in ``lang``, through the page's own switch link when it is in the other one."""
    if lang_of(chrome) != lang:
        chrome.wait_for("a[data-lang-switch]").click()
        chrome.wait_for(f'html[lang^="{lang}"]')


def screenshots(tmp_path: Path) -> Path:
    wanted = os.environ.get("CALLWISE_SCREENSHOTS")
    return Path(wanted) if wanted else tmp_path


def home_of(site: Site, role: Role) -> str:
    """The first page of the navigation ``role``'s user may see, or the page saying there is none."""
    granted = site.seeded.permissions[role.value]
    return next((p.path for p in PAGES if p.nav and p.permission in granted), "/board/none")


def test_every_role_lands_on_its_first_page_cleanly(chrome, site, tmp_path):
    for role in Role:
        log_in(chrome, site, role.value)
        chrome.open(site.url + "/")
        assert urlsplit(chrome.url).path == home_of(site, role), role.value
        assert chrome.console_errors() == [], role.value
        violations = chrome.axe("serious")
        assert violations == [], "\n".join(str(v) for v in violations)


def test_the_login_page_is_clean_and_accessible(chrome, site, tmp_path):
    chrome.d.delete_all_cookies()
    for lang in LANGS:
        chrome.open(f"{site.url}/login?lang={lang}")
        assert lang_of(chrome) == lang
        assert chrome.console_errors() == []
        violations = chrome.axe("serious")
        assert violations == [], "\n".join(str(v) for v in violations)
        chrome.screenshot(screenshots(tmp_path) / f"board-login-{lang}.png")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_a_page_renders_its_charts_cleanly_and_accessibly(chrome, site, page, lang, tmp_path):
    log_in(chrome, site, role_for(site, page))
    chrome.open(url_of(site, page))
    switch_to(chrome, lang)
    assert urlsplit(chrome.url).path == urlsplit(url_of(site, page)).path
    chrome.wait_for_charts()
    assert chrome.console_errors() == [], page.name
    drawn, charts = chrome.charts_with_data()
    assert drawn == charts, [c for c in chrome.charts() if not c.has_data]
    assert chrome.transferred() <= MAX_PAGE_BYTES, page.name
    violations = chrome.axe("serious")
    assert violations == [], "\n".join(str(v) for v in violations)
    shot = chrome.screenshot(screenshots(tmp_path) / f"board-{page.name}-{lang}.png")
    assert shot.read_bytes().startswith(b"\x89PNG")


# A page every role may see has nobody to refuse.
FORBIDDEN = [p for p in PAGES if any(p.permission not in ROLE_PERMISSIONS[r] for r in Role)]


@pytest.mark.parametrize("page", FORBIDDEN, ids=[p.name for p in FORBIDDEN])
def test_a_role_without_the_permission_gets_403(chrome, site, page):
    without = [r.value for r in ROLE_ORDER if page.permission not in site.seeded.permissions[r.value]]
    assert without, f"every seeded user may see {page.name}"
    role = without[0]
    log_in(chrome, site, role)
    chrome.open(site.url + "/")
    response = httpx.get(url_of(site, page), cookies=chrome.cookies(), follow_redirects=False, timeout=30)
    assert response.status_code == 403, (page.name, role, response.status_code)


def test_the_language_switch_keeps_the_path_and_query(chrome, site):
    log_in(chrome, site, Role.ANALYST.value)
    path = home_of(site, Role.ANALYST)
    query = {"date_from": ["2026-01-01"], "date_to": ["2026-01-31"], "campaign": ["board-demo"]}
    chrome.open(f"{site.url}{path}?date_from=2026-01-01&date_to=2026-01-31&campaign=board-demo")
    for lang in ("en", "zh") if lang_of(chrome) == "zh" else ("zh", "en"):
        chrome.wait_for("a[data-lang-switch]").click()
        chrome.wait_for(f'html[lang^="{lang}"]')
        after = urlsplit(chrome.url)
        assert after.path == path
        assert parse_qs(after.query) == {**query, "lang": [lang]}
    assert chrome.console_errors() == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_link_downloads_a_file_that_opens(chrome, site, fmt, tmp_path):
    chrome.use_downloads(tmp_path / "downloads")
    for page in PAGES:
        log_in(chrome, site, role_for(site, page))
        chrome.open(url_of(site, page))
        links = chrome.d.find_elements(By.CSS_SELECTOR, f'a[data-export="{fmt}"]')
        if links:
            break
    else:
        pytest.fail(f"no page has a {fmt} export link")
    chrome.d.execute_script("arguments[0].click()", links[0])  # it may sit in a closed <details>
    saved = chrome.downloaded()
    assert saved.suffix == f".{fmt}", saved.name
    if fmt == "csv":
        with saved.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    else:
        sheet = openpyxl.load_workbook(saved, read_only=True).active
        assert sheet is not None
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows) >= 2 and all(rows[0]), rows[:3]  # translated headers and at least one row
    assert chrome.console_errors() == []


def test_a_post_without_the_csrf_token_is_refused(chrome, site):
    log_in(chrome, site, Role.ANALYST.value)
    page = site.url + home_of(site, Role.ANALYST)
    chrome.open(page)
    cookies = chrome.cookies()
    refused = httpx.post(f"{site.url}/logout", cookies=cookies, follow_redirects=False, timeout=30)
    assert refused.status_code == 403
    wrong = httpx.post(
        f"{site.url}/logout", data={"csrf_token": "not-the-token"}, cookies=cookies, follow_redirects=False, timeout=30
    )
    assert wrong.status_code == 403
    still = httpx.get(page, cookies=cookies, follow_redirects=False, timeout=30)
    assert still.status_code == 200, "a refused logout must leave the session as it was"
