"""The attribution page in a real browser, on a lake with multi-channel campaigns (tests/attribution/world.py).

The generic browser test draws the page on the small bank, whose campaigns only call; here five channels compete,
so the page has something to attribute: both charts drawn with data, no console error, axe-core clean, zh-CN and
English, the warnings and last-touch flags shown. Screenshots ``attribution-{zh,en}.png`` go to
``CALLWISE_SCREENSHOTS`` when set (docs/screenshots is made so), else to the test's directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from callwise.ops.db import session_factory, transaction
from callwise.ops.users import create_user
from tests.attribution.world import write_world
from tests.web.board_browser import Browser
from tests.web.live_server import LiveServer, live_database

PASSWORD = "Correct-Horse-42"
EFFECTS = {"call": 0.12, "sms": 0.03, "app_push": 0.05, "wechat": 0.08, "email": 0.02}
WORDS = {"zh": ("渠道归因", "末次触达给"), "en": ("Attribution", "Last touch gives")}


@pytest.fixture(scope="module")
def site(tmp_path_factory, pii_key_settings) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("attribution_live")
    write_world(tmp, customers=20_000, seed=4, effects=EFFECTS)  # the lake at tmp/lake, the server's data dir
    with live_database("sqlite", tmp) as db:
        with transaction(session_factory(db.engine)) as session:
            create_user(session, "analyst1", PASSWORD, ["analyst"], "setup", None)
        env = {**pii_key_settings, "CALLWISE_DB_URL": db.url, "CALLWISE_DATA_DIR": str(tmp), "CALLWISE_LANG": "zh"}
        with LiveServer(env, tmp / "server.log") as server:
            yield server.url


@pytest.fixture(scope="module")
def chrome(tmp_path_factory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("attribution_downloads")) as running:
        yield running


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_attribution_page_draws_every_method_per_channel(chrome, site, lang, tmp_path):
    chrome.login(site, "analyst1", PASSWORD)
    chrome.open(f"{site}/board/attribution?lang={lang}")
    chrome.wait_for_charts(timeout=60.0)
    assert chrome.console_errors() == []
    drawn, charts = chrome.charts_with_data()
    assert charts == 2 and drawn == charts
    title, warning = WORDS[lang]
    text = chrome.d.page_source
    assert title in text and warning in text and 'id="last-touch-flags"' in text
    violations = chrome.axe("serious")
    assert violations == [], "\n".join(str(v) for v in violations)
    wanted = os.environ.get("CALLWISE_SCREENSHOTS")
    directory = Path(wanted) if wanted else tmp_path
    shot = chrome.screenshot(directory / f"attribution-{lang}.png")
    assert shot.read_bytes().startswith(b"\x89PNG")
