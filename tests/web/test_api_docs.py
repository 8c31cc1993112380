"""The API pages name no host but the service's own: every script, style and icon is served from the package."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

import callwise.web
from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import upgrade
from callwise.web.app import create_app
from callwise.web.deps import Services

PAGES = ["/api/v1/docs", "/api/v1/redoc"]
VENDOR = Path(callwise.web.__file__).with_name("static") / "vendor"


class _References(HTMLParser):
    """Every URL a page makes the browser fetch: script and image sources, stylesheet and icon links."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name) and (tag != "a" or name == "src"):  # a link to follow is not fetched
                self.urls.append(values[name] or "")


@pytest.fixture
def client(tmp_path, session_pii) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    yield TestClient(create_app(Services(engine=engine, factory=session_factory(engine), pii=session_pii)))
    engine.dispose()


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_loads_nothing_from_another_host(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"https?://", html), "the page names an absolute URL"
    parser = _References()
    parser.feed(html)
    assert any(u.endswith(".js") for u in parser.urls), parser.urls
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url


def test_the_pages_follow_a_reverse_proxy_prefix(client):
    assert '"/static/vendor/swagger-ui-bundle.js"' in client.get("/api/v1/docs").text
    prefixed = TestClient(client.app, root_path="/callwise").get("/api/v1/redoc").text
    assert '"/callwise/static/vendor/redoc.standalone.js"' in prefixed
    assert 'spec-url="/callwise/api/v1/openapi.json"' in prefixed


def test_the_pages_are_not_in_the_spec(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.endswith(("/docs", "/redoc")) or p.startswith("/static")]


def _readme_checksums() -> dict[str, str]:
    text = (VENDOR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", text, flags=re.M))


def test_every_vendored_file_is_the_one_its_readme_names():
    checksums = _readme_checksums()
    served = {p.name for p in VENDOR.iterdir() if p.suffix in {".js", ".css", ".png"}}
    assert served == set(checksums), "a vendored file and the README's table disagree"
    for name, digest in checksums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, f"{name} is not the pinned file"


def test_every_licence_text_the_readme_names_is_shipped_and_no_other():
    named = set(re.findall(r"`([^`/]+\.txt)`", (VENDOR / "README.md").read_text(encoding="utf-8")))
    shipped = {p.name for p in VENDOR.glob("*.txt")}
    assert named == shipped, "a licence text and the README disagree"
    for name in ("htmx.LICENSE.txt", "echarts.LICENSE.txt", "echarts.NOTICE.txt", "redoc.LICENSE.txt"):
        assert name in shipped
    for name in shipped:
        assert (VENDOR / name).stat().st_size > 0, name


def test_the_vendored_files_are_in_the_wheel(tmp_path):
    """Built from a copy of the source tree, as a release would be: every vendored file is inside."""
    root = Path(__file__).resolve().parents[2]
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(root / "src", tree / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, tree / name)
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*command, "-w", str(tmp_path), str(tree)], capture_output=True, timeout=300, check=True)
    (wheel,) = tmp_path.glob("callwise-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = set(archive.namelist())
    missing = [p.name for p in VENDOR.iterdir() if f"callwise/web/static/vendor/{p.name}" not in packed]
    assert not missing, f"not in the wheel: {missing}"
