"""A built-in template that is not built yet, against a real `hutch serve`: its first create answers 503
with Retry-After and starts its build in the background; once built, creates succeed."""

from __future__ import annotations

import subprocess

import pytest
from server_helpers import spare_server

from hutch import Sandbox
from hutchd.runtime.templates import RECIPES, BuildCache

pytestmark = pytest.mark.integration


def test_a_builtin_not_built_yet_answers_503_while_it_builds(hutch_server, monkeypatch) -> None:
    """A server with templates of its own: `base` (hard links of the shared build) and no `nodejs`,
    whose build is linked from HUTCH_TEMPLATE_CACHE (the shared `nodejs` layer), so that it takes
    seconds here; a real first build runs apt-get for minutes."""
    shared = hutch_server.data_dir / "templates"
    with spare_server(hutch_server) as server:
        own = server.data_dir / "templates"
        own.unlink()
        own.mkdir()
        try:
            subprocess.run(["cp", "-al", str(shared / "base"), str(own / "base")], check=True)
            cache = server.data_dir / "recipe-cache"
            entry = BuildCache(cache, "nodejs", RECIPES["nodejs"]).entry
            entry.mkdir(parents=True)
            subprocess.run(["cp", "-al", str(shared / "nodejs" / "rootfs"), str(entry / "rootfs")], check=True)
            monkeypatch.setenv("HUTCH_TEMPLATE_CACHE", str(cache))
            server.start()
            with server.http() as c:
                assert c.get("/templates/nodejs").json()["ready"] is False
                r = c.post("/sandboxes", json={"templateID": "nodejs", "timeout": 60})
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"] == "15"
                assert "being built on first use" in r.json()["message"]
                assert c.get("/sandboxes").json()["sandboxes"] == [], "nothing was made"
                server.wait_template("nodejs", timeout=120)
            with Sandbox.create("nodejs", api_key=server.api_key, domain=server.domain) as sbx:
                assert sbx.commands.run("node -e 'console.log(6 * 7)'").stdout == "42\n"
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.kill_all()
            server.stop()
            subprocess.run(["rm", "-rf", str(own)], check=True)  # hard links: the shared builds stay
            own.symlink_to(shared.resolve())
