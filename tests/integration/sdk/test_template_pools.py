"""Warm pools of templates against a real `hutch serve`: a custom template gets a pool once it is used
(seen in `warmSandboxes` and in the server's database), its pooled sandboxes ran its start command
ahead, a create with envs boots cold so that the start command sees them, a rebuild empties the pool
(the next create sees the new content) and a delete leaves no pooled sandbox behind."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from hutch import Sandbox, Template, wait_for_file

# The local backend's: the SDK suite's kubernetes pass runs two replicas behind a balancer, each with a
# pool of its own, so a create need not reach the pool its earlier create started; it leaves this module
# out, and pytest reports it deselected (warm pods on two kubernetes replicas: tests/integration/kube/
# test_replica_work.py).
pytestmark = [pytest.mark.integration, pytest.mark.backends("local")]

START = 'echo "{version} who=$WHO" > /tmp/started; exec sleep 100000'


def _template(version: str) -> Template:
    return (
        Template()
        .from_template("base")
        .run_cmd(f"echo {version} > /opt/version", user="root")
        .set_start_cmd(START.format(version=version), wait_for_file("/tmp/started"))
    )


def _pooled(server, template_id: str) -> set[str]:
    """The template's pooled sandboxes, as the server's database records them."""
    rows = server.query("SELECT id FROM sandboxes WHERE template_id = ? AND state = 'pooled'", template_id)
    return {r[0] for r in rows}


def _wait_warm(alias: str, at_least: int = 1, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    while (warm := Template.get(alias).warm_sandboxes) < at_least:
        assert time.monotonic() < deadline, f"the pool of {alias} holds {warm} after {timeout}s"
        time.sleep(0.2)
    return warm


def test_a_used_template_is_pooled_and_its_pool_follows_rebuilds_and_delete(hutch_server, hutch_env) -> None:
    alias = f"pooled-{uuid.uuid4().hex[:8]}"
    info = Template.build(_template("v1"), alias=alias)
    try:
        assert Template.get(alias).warm_sandboxes == 0, "unused: no pool"
        with Sandbox.create(alias) as cold:  # the first use starts the template's pool
            assert cold.files.read("/tmp/started") == "v1 who=\n"
        _wait_warm(alias)
        pooled = _pooled(hutch_server, info.template_id)
        with Sandbox.create(alias) as warm:
            assert warm.sandbox_id in pooled, "served by the pool"
            assert warm.files.read("/tmp/started") == "v1 who=\n"
            assert [c.tag for c in warm.commands.list()].count("template-start") == 1, "started once, ahead"
        with Sandbox.create(alias, envs={"WHO": "me"}) as with_envs:
            assert with_envs.sandbox_id not in _pooled(hutch_server, info.template_id) | pooled
            assert with_envs.files.read("/tmp/started") == "v1 who=me\n", "the start command saw the envs"

        _wait_warm(alias)  # full again: without draining, the next create would get v1
        before = _pooled(hutch_server, info.template_id)
        Template.build(_template("v2"), alias=alias)
        assert not before & _pooled(hutch_server, info.template_id), "the rebuild emptied the pool"
        with Sandbox.create(alias) as rebuilt:
            assert rebuilt.commands.run("cat /opt/version /tmp/started").stdout == "v2\nv2 who=\n"

        _wait_warm(alias)
        last = _pooled(hutch_server, info.template_id)
    finally:
        assert Template.delete(info.template_id)
    assert not _pooled(hutch_server, info.template_id), "the delete emptied the pool"
    for sandbox_id in last:  # nothing left of them on this host (a pod's are the cluster's)
        assert not (hutch_server.data_dir / "sandboxes" / sandbox_id).exists()
        assert sandbox_id not in Path("/proc/self/mounts").read_text()
