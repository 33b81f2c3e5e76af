"""The documentation site as a reader gets it: built with `mkdocs build --strict`, served on loopback and
opened in headless Chromium (Debian's). Every page renders, every internal link and anchor resolves,
nothing loads from outside the site, and the front page's screenshot is saved with the test's output."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("HUTCH_TEST_OUTPUT", ROOT / "test-output"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class Page(HTMLParser):
    """The links, loaded resources and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag in ("script", "img", "iframe") and a.get("src"):
            self.resources.append(a["src"] or "")
        elif tag == "link" and a.get("href") and a.get("rel") not in ("canonical",):
            self.resources.append(a["href"] or "")


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "assets" not in p.parts and p.name != "404.html")


def chromium(*args: str, profile: Path) -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed (make setup installs it)")
    proc = subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    parsed = {p: parse(p) for p in pages(site)}
    assert len(parsed) >= 19  # every page of the nav
    broken = []
    for path, page in parsed.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue  # outside links are the reader's to follow
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {href} (no such anchor)")
    assert broken == []


def test_nothing_loads_from_outside_the_site(site: Path) -> None:
    outside = [
        f"{p.relative_to(site)}: {r}"
        for p in pages(site)
        for r in parse(p).resources
        if urlsplit(r).scheme in ("http", "https") or r.startswith("//")
    ]
    assert outside == []


def test_pages_render_in_chromium(site: Path, base_url: str, tmp_path: Path) -> None:
    def render(path: Path) -> tuple[Path, str]:
        profile = tmp_path / f"profile-{path.stem}-{abs(hash(path))}"
        return path, chromium("--dump-dom", f"{base_url}/{path.relative_to(site).as_posix()}", profile=profile)

    with ThreadPoolExecutor(2) as pool:
        rendered = dict(pool.map(render, pages(site)))
    for path, dom in rendered.items():
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", dom, re.S)
        assert h1 and h1.group(1).strip(), f"{path.relative_to(site)} has no title"
        assert 'class="md-content"' in dom and "md-nav" in dom, f"{path.relative_to(site)} did not render"
    by_name = {p.relative_to(site).as_posix(): dom for p, dom in rendered.items()}
    assert "hutch exec [OPTIONS] ID -- CMD..." in by_name["reference/cli.html"]  # from the CLI's --help
    assert "createSandbox" in by_name["reference/rest.html"] or "/sandboxes" in by_name["reference/rest.html"]
    assert "Sandbox.create" in by_name["reference/python.html"] or "create" in by_name["reference/python.html"]
    assert "SandboxNotFoundException" in by_name["compatibility.html"]  # the README's table


def test_front_page_screenshot(site: Path, base_url: str, tmp_path: Path) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "docs-front-page.png"
    shot.unlink(missing_ok=True)
    chromium("--window-size=1280,900", f"--screenshot={shot}", f"{base_url}/index.html", profile=tmp_path / "p")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 900)
    assert len(data) > 20_000  # a page, not a blank
    print(f"front page screenshot: {shot}")
