"""The documentation site as a reader gets it: built with `mkdocs build --strict`, served on loopback and
opened in headless Chromium (Debian's). Every page renders, every internal link and anchor resolves,
nothing loads from outside the site, and the front page's screenshot is saved with the test's output."""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from websockets.sync.client import ClientConnection, connect

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


def chromium_exe() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed (make setup installs it)")
    return exe


def chromium(*args: str, profile: Path) -> str:
    proc = subprocess.run(
        [chromium_exe(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
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


class Browser:
    """A headless Chromium driven over the DevTools protocol: open a page, read its DOM after load."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        n = next(self.ids)
        message = {"id": n, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == n:
                assert "error" not in reply, reply
                return dict(reply["result"])
            self.events.append(reply)

    def dom(self, url: str) -> str:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=60)))
        js = "document.documentElement.outerHTML"
        result = self.call("Runtime.evaluate", session=True, expression=js, returnByValue=True)
        return str(result["result"]["value"])


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    profile = tmp_path / "profile"
    argv = [chromium_exe(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"  # chromium writes its port and path there
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and len(port_file.read_text().split()) == 2):
            assert proc.poll() is None and time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30) as ws:
            yield Browser(ws)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_pages_render_in_chromium(site: Path, base_url: str, browser: Browser) -> None:
    rendered = {p: browser.dom(f"{base_url}/{p.relative_to(site).as_posix()}") for p in pages(site)}
    for path, dom in rendered.items():
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", dom, re.S)
        assert h1 and h1.group(1).strip(), f"{path.relative_to(site)} has no title"
        assert 'class="md-content"' in dom and "md-nav" in dom, f"{path.relative_to(site)} did not render"
    by_name = {p.relative_to(site).as_posix(): dom for p, dom in rendered.items()}
    assert "hutch exec [OPTIONS] ID -- CMD..." in by_name["reference/cli.html"]  # from the CLI's --help
    assert "createSandbox" in by_name["reference/rest.html"]  # from openapi.yaml
    assert 'id="hutch.Sandbox.create"' in by_name["reference/python.html"]  # from the docstrings
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
