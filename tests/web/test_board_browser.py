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
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, select

from callwise.demo import DEMO_MODEL, _promote_demo_model
from callwise.demo_board import seed_board, seed_moments, seed_segments, seed_tags, seed_uplift
from callwise.lake import Lake
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import User
from callwise.ops.users import roles_of
from callwise.pipeline import train_from_lake
from callwise.security.rbac import ROLE_PERMISSIONS, Role, permissions_for
from callwise.web.ui.registry import PAGES, Page
from tests.web.board_browser import Browser
from tests.web.journeys_seed import seed_demo_journeys
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


def active_model(engine: Engine, lake: Lake, data_dir: Path):
    """A response model trained on the lake, saved under the server's models directory and made the active one (as
    ``serve --demo`` does), so the models page lists it and a list built from the form has a model to rank with."""
    model, _ = train_from_lake(lake, "lightgbm", seed=3)
    directory = data_dir / DEMO_MODEL
    model.save(directory, card={"note": "browser test"})
    with transaction(session_factory(engine)) as session:
        _promote_demo_model(session, directory)
    return model


def seed(data_dir: Path, engine: Engine, small_bank: dict) -> Seeded:
    """The board's data: the small synthetic bank's lake copied under ``data_dir`` (the server's data directory),
    and the ops database seeded by the demo's ``seed_board`` and ``seed_uplift``, so the screenshots show what
    ``make demo`` shows.
    """
    shutil.copytree(small_bank["root"] / "lake", data_dir / "lake")
    lake = Lake(data_dir / "lake", threads=1)
    model = active_model(engine, lake, data_dir)
    board = seed_board(engine, lake, small_bank["bank"], model=model)
    seed_uplift(session_factory(engine), lake, data_dir / "models" / "uplift")
    seed_tags(lake, board.data.today)
    seed_segments(lake, board.data.today)
    seed_moments(lake, board.data.today)
    seed_demo_journeys(engine, lake, board.data.today)
    users = {u.role: (u.username, u.password) for u in board.users}
    return with_permissions(
        Seeded(users, {"campaign_id": board.campaign_ids[0], "customer_id": board.customer_id}), engine
    )


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
    if page.name == "campaign":
        measured(chrome)
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


@pytest.mark.parametrize("lang", LANGS)
def test_the_customer_360_shows_every_section_and_no_sensitive_tag_to_a_supervisor(chrome, site, lang, tmp_path):
    """A supervisor (customers:read, no tags:sensitive) sees the 360 sections, tags by category, no sensitive tag."""
    from callwise.tags import default_catalogue

    log_in(chrome, site, Role.SUPERVISOR.value)
    chrome.open(f"{site.url}/board/customers/{site.seeded.ids['customer_id']}")
    switch_to(chrome, lang)
    chrome.wait_for("#c360-tags .chip")
    for section in ("tags", "segment", "holdings", "transactions", "activity", "consent", "lists"):
        assert chrome.d.find_elements(By.ID, f"c360-{section}"), section
    html = chrome.d.page_source
    hidden = [tag.id for tag in default_catalogue().tags.values() if tag.sensitive]
    assert not [tag_id for tag_id in hidden if f'data-tag="{tag_id}"' in html]
    assert chrome.console_errors() == []
    violations = chrome.axe("serious")
    assert violations == [], "\n".join(str(v) for v in violations)
    shot = chrome.screenshot(screenshots(tmp_path) / f"board-customer360-{lang}.png")
    assert shot.read_bytes().startswith(b"\x89PNG")


def measured(chrome: Browser, timeout: float = 60.0) -> None:
    """The campaign page once its comparison with control is measured (a background snapshot on the first view)."""
    deadline = time.monotonic() + timeout
    while not chrome.d.find_elements(By.ID, "chart-effect"):
        assert time.monotonic() < deadline, "the comparison with control was never measured"
        time.sleep(1)
        chrome.d.refresh()


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


def test_a_list_built_from_the_form_appears_with_its_funnel(chrome, site):
    log_in(chrome, site, Role.ANALYST.value)
    chrome.open(f"{site.url}/board/build?lang=en")
    fields = {"campaign_id": "browser-built", "product_id": "P_WM01", "date": "2026-07-01", "days": "2", "seed": "9"}
    for name, value in fields.items():  # as a person picks them (a date picker, a select), change events and all
        box = chrome.d.find_element(By.NAME, name)
        chrome.d.execute_script(
            "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            box,
            value,
        )
    chrome.d.find_element(By.CSS_SELECTOR, "form#build-form [type=submit]").click()
    chrome.wait_for('[data-status="done"]', timeout=120)
    assert "/board/build/jobs/" in chrome.url
    chrome.wait_for_charts()
    assert "Eligibility funnel" in chrome.d.page_source
    drawn, charts = chrome.charts_with_data()
    assert charts >= 1 and drawn == charts
    assert chrome.console_errors() == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_tag_page_shows_its_lineage_and_quality(chrome, site, lang, tmp_path):
    log_in(chrome, site, Role.ANALYST.value)
    chrome.open(f"{site.url}/board/tags?lang={lang}")
    box = chrome.wait_for("#tag-q")
    box.send_keys("value_tier")  # the search swaps the list in as one types
    chrome.wait_for('#tag-list a[href="/board/tags/value_tier"]')
    chrome.d.find_element(By.CSS_SELECTOR, '#tag-list a[href="/board/tags/value_tier"]').click()
    chrome.wait_for("section.lineage")
    assert urlsplit(chrome.url).path == "/board/tags/value_tier"
    chrome.wait_for_charts()
    drawn, charts = chrome.charts_with_data()
    assert charts == 1 and drawn == charts
    assert chrome.console_errors() == []
    violations = chrome.axe("serious")
    assert violations == [], "\n".join(str(v) for v in violations)
    chrome.screenshot(screenshots(tmp_path) / f"board-tag-{lang}.png")


def wait_text(chrome: Browser, css: str, timeout: float = 30.0) -> str:
    element = chrome.wait_for(css, timeout=timeout)
    return str(element.text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_audience_builder_follows_the_typing_and_the_picker(chrome, site, lang, tmp_path):
    log_in(chrome, site, Role.ANALYST.value)
    chrome.open(f"{site.url}/board/audience?lang={lang}")
    box = chrome.wait_for("#audience-expression")
    box.send_keys("high_net_worth and (")
    problem = wait_text(chrome, "#audience-problem")
    assert ("column 20" in problem) if lang == "en" else ("第 20 列" in problem)
    box.clear()
    pick = chrome.d.find_element(By.CSS_SELECTOR, '[data-audience-insert="app_active"]')
    pick.find_element(By.XPATH, "ancestor::details/summary").click()  # open its category
    pick.click()  # inserts the id
    chrome.wait_for("#audience-result", timeout=30)
    assert box.get_attribute("value").strip() == "app_active"
    box.send_keys(" and age >= 30")
    chrome.wait_for("#audience-result code", timeout=30)
    deadline = time.monotonic() + 30
    while "age >= 30" not in chrome.d.find_element(By.ID, "audience-result").text:
        assert time.monotonic() < deadline, "the size never followed the typing"
        time.sleep(0.3)
    chrome.wait_for("#audience-profile #figure-lifted", timeout=30)  # the profile follows the size
    chrome.wait_for_charts()
    drawn, charts = chrome.charts_with_data()
    assert drawn == charts
    assert chrome.console_errors() == []
    violations = chrome.axe("serious")
    assert violations == [], "\n".join(str(v) for v in violations)
    chrome.screenshot(screenshots(tmp_path) / f"board-audience-{lang}.png")


def test_the_build_forms_audience_shows_its_live_size_as_it_is_typed(chrome, site, small_bank):
    from datetime import datetime

    from callwise.lists.audience import audience_size

    expression = "salary_paid and not recent_complaint"
    expected = audience_size(small_bank["lake"], expression, datetime(2026, 7, 1))
    log_in(chrome, site, Role.ANALYST.value)
    chrome.open(f"{site.url}/board/build?lang=en")
    day = chrome.d.find_element(By.NAME, "date")
    chrome.d.execute_script(
        "arguments[0].value = '2026-07-01';arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", day
    )
    box = chrome.d.find_element(By.NAME, "audience")
    box.send_keys(expression)  # keystroke by keystroke: one request once the typing pauses
    shown = f"{expected['size']:,} customers, {expected['share']:.1%} of the bank's {expected['bank']:,}"
    deadline = time.monotonic() + 30
    while shown not in chrome.d.find_element(By.ID, "audience-size").text and time.monotonic() < deadline:
        time.sleep(0.2)
    assert shown in chrome.d.find_element(By.ID, "audience-size").text
    assert 0 < expected["size"] < expected["bank"]
    box.send_keys(" and")  # no longer an expression: the reason replaces the size
    deadline = time.monotonic() + 30
    while "not well formed" not in chrome.d.find_element(By.ID, "audience-size").text and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "not well formed" in chrome.d.find_element(By.ID, "audience-size").text
    assert chrome.console_errors() == []
