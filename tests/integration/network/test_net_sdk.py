"""The SDK's section 9 against the real server: `network=` at create, `update_network`,
`get_info().network`, and `get_host` for HTTP and WebSocket. Destinations are this session's test
hosts (testhosts.py); the real internet is not reachable, nor testable, here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nethelpers import ECHO_SERVER
from websockets.sync.client import connect

from hutch import ALL_TRAFFIC, AsyncSandbox, Sandbox, SandboxNetworkOpts

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "web_app.py"


@pytest.fixture
def env(hutch_server: Any) -> Iterator[dict[str, str]]:
    values = {"HUTCH_API_KEY": hutch_server.api_key, "HUTCH_DOMAIN": hutch_server.domain}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    yield values
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _get(sbx: Sandbox, url: str) -> str:
    r = sbx.commands.run(f"curl -sS -m 6 {url} || echo FAILED", timeout=30)
    return r.stdout.strip()


def _wait(url: str, **kwargs: Any) -> httpx.Response:
    for _ in range(100):
        r = httpx.get(url, **kwargs)
        if r.status_code != 502:
            return r
        time.sleep(0.1)
    return r


def test_policy_at_create_and_live_update(env: dict[str, str], test_hosts: Any) -> None:
    with Sandbox.create(network=SandboxNetworkOpts(allow_out=["alpha.test"], deny_out=[ALL_TRAFFIC])) as sbx:
        assert _get(sbx, "http://alpha.test/") == "hello from alpha"
        assert _get(sbx, f"http://{test_hosts['beta'].address}/").endswith("FAILED")
        info = sbx.get_info()
        assert info.network == {"allow_out": ["alpha.test"], "deny_out": ["0.0.0.0/0"], "allow_public_traffic": True}
        assert info.allow_internet_access is True

        sbx.update_network({"deny_out": ["alpha.test"]})
        assert _get(sbx, "http://alpha.test/").endswith("FAILED")
        assert _get(sbx, f"http://{test_hosts['beta'].address}/") == "hello from beta"
        assert sbx.get_info().network == {"allow_out": [], "deny_out": ["alpha.test"], "allow_public_traffic": True}

        Sandbox.update_network(sbx.sandbox_id, allow_internet_access=False)  # E2B's static form
        assert sbx.get_info().allow_internet_access is False
        assert _get(sbx, f"http://{test_hosts['beta'].address}/").endswith("FAILED")


def test_get_host_serves_http_and_websocket(env: dict[str, str]) -> None:
    with Sandbox.create() as sbx:
        sbx.files.write("/tmp/site/index.html", "<p>hi from the sandbox</p>")
        sbx.commands.run("cd /tmp/site && python3 -m http.server 8000", background=True, timeout=0)
        sbx.files.write("/tmp/echo_server.py", ECHO_SERVER.read_bytes())
        sbx.commands.run("python3 /tmp/echo_server.py 8765", background=True, timeout=0)

        host = sbx.get_host(8000)
        assert host == f"{env['HUTCH_DOMAIN']}/sandboxes/{sbx.sandbox_id}/ports/8000"
        r = _wait(f"http://{host}/index.html")
        assert r.status_code == 200 and r.text == "<p>hi from the sandbox</p>"

        _wait(f"http://{sbx.get_host(8765)}/")
        with connect(f"ws://{sbx.get_host(8765)}/chat") as ws:
            ws.send("ping")
            assert ws.recv(timeout=10) == "echo: ping"


def test_private_traffic_needs_a_credential(env: dict[str, str]) -> None:
    with Sandbox.create(network={"allow_public_traffic": False}) as sbx:
        sbx.files.write("/tmp/site/index.html", "private page")
        sbx.commands.run("cd /tmp/site && python3 -m http.server 8000", background=True, timeout=0)
        url = f"http://{sbx.get_host(8000)}/index.html"
        token = sbx.get_info().traffic_access_token
        assert token
        assert _wait(url, headers={"X-Hutch-Traffic-Token": token}).text == "private page"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"X-API-Key": env["HUTCH_API_KEY"]}).status_code == 200
        sbx.update_network(SandboxNetworkOpts(allow_public_traffic=True))
        assert httpx.get(url).status_code == 200


async def test_async_sandbox(env: dict[str, str], test_hosts: Any) -> None:
    async with AsyncSandbox.create(network={"deny_out": ["beta.test"]}) as sbx:
        result = await sbx.commands.run("getent hosts beta.test || echo NXDOMAIN")
        assert result.stdout.strip() == "NXDOMAIN"
        await sbx.update_network({})
        result = await sbx.commands.run("curl -sS -m 6 http://beta.test/")
        assert result.stdout == "hello from beta"
        assert (await sbx.get_info()).network == {"allow_out": [], "deny_out": [], "allow_public_traffic": True}
        assert sbx.get_host(80).endswith(f"/sandboxes/{sbx.sandbox_id}/ports/80")


@pytest.mark.parametrize("args", [["--once"], ["--once", "--private"]])
def test_web_app_example(env: dict[str, str], args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "serves a web app at:" in proc.stdout
    assert "<h1>hello from" in proc.stdout and "'now':" in proc.stdout
    assert ("?hutch_token=" in proc.stdout) == ("--private" in args)
