"""Every control-plane operation through the generated client, against real sandboxes."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from server_helpers import run, wait_for

from hutch_api.api.metrics import get_sandbox_metrics
from hutch_api.api.sandboxes import (
    connect_sandbox,
    get_sandbox,
    kill_sandbox,
    list_sandboxes,
    pause_sandbox,
    resume_sandbox,
    set_sandbox_timeout,
)
from hutch_api.api.snapshots import (
    create_snapshot,
    delete_snapshot,
    get_snapshot,
    list_sandbox_snapshots,
    list_snapshots,
    restore_sandbox,
)
from hutch_api.api.templates import get_template, list_templates
from hutch_api.models import ConnectRequest, NewSnapshot, RestoreRequest, TimeoutRequest

pytestmark = pytest.mark.backends("local", "local+postgresql")


def _ts(value: datetime) -> float:
    return value.timestamp()


def test_create_get_list_kill(api, http, make_sandbox):
    sbx = make_sandbox(
        metadata={"suite": "lifecycle", "n": "1"},
        envs={"GREETING": "hello"},
        resources={"cpu": 1, "memoryMB": 512},
        timeout=120,
    )
    assert sbx.state == "running"
    assert sbx.template_id == "base"
    assert sbx.env_keys == ["GREETING"]
    assert sbx.cpu_count == 1 and sbx.memory_mb == 512
    assert 118 <= _ts(sbx.end_at) - _ts(sbx.started_at) <= 121

    got = get_sandbox.sync(sbx.sandbox_id, client=api)
    assert got.sandbox_id == sbx.sandbox_id and got.metadata.to_dict() == {"suite": "lifecycle", "n": "1"}

    # envs given at create reach commands (also when the sandbox came from the warm pool)
    assert run(http, sbx.sandbox_id, "echo $GREETING")["stdout"] == "hello\n"

    page = list_sandboxes.sync(client=api, metadata=["suite=lifecycle"])
    assert [s.sandbox_id for s in page.sandboxes] == [sbx.sandbox_id]
    assert list_sandboxes.sync(client=api, metadata=["suite=other"]).sandboxes == []
    assert [s.sandbox_id for s in list_sandboxes.sync(client=api, metadata=["suite", "n=1"]).sandboxes] == [
        sbx.sandbox_id
    ]  # a bare key matches any value

    assert kill_sandbox.sync_detailed(sbx.sandbox_id, client=api).status_code == 204
    assert kill_sandbox.sync_detailed(sbx.sandbox_id, client=api).status_code == 404
    assert get_sandbox.sync_detailed(sbx.sandbox_id, client=api).status_code == 404  # killed, no snapshots
    assert http.get(f"/sandboxes/{sbx.sandbox_id}/commands").status_code == 404


def test_list_pages_newest_first(api, make_sandbox):
    ids = [make_sandbox(metadata={"suite": "paging"}).sandbox_id for _ in range(3)]
    seen, token = [], None
    while True:
        kwargs = {"next_token": token} if token else {}
        page = list_sandboxes.sync(client=api, metadata=["suite=paging"], limit=2, **kwargs)
        seen += [s.sandbox_id for s in page.sandboxes]
        token = page.next_token
        if not token:
            break
    assert seen == ids[::-1]


def test_set_timeout_and_connect_by_name(api, make_sandbox):
    sbx = make_sandbox(name="conn-test", timeout=60)
    assert (
        set_sandbox_timeout.sync_detailed(sbx.sandbox_id, client=api, body=TimeoutRequest(timeout=900)).status_code
        == 204
    )
    got = get_sandbox.sync(sbx.sandbox_id, client=api)
    assert 895 <= _ts(got.end_at) - time.time() <= 901

    # connect only ever extends (issue 12, E2B): 30 s leaves the 900 s end; 1200 s extends it
    by_name = connect_sandbox.sync("conn-test", client=api, body=ConnectRequest(timeout=30))
    assert by_name.sandbox_id == sbx.sandbox_id
    assert 895 <= _ts(by_name.end_at) - time.time() <= 901
    longer = connect_sandbox.sync("conn-test", client=api, body=ConnectRequest(timeout=1200))
    assert 1195 <= _ts(longer.end_at) - time.time() <= 1201
    assert connect_sandbox.sync_detailed("no-such-name", client=api, body=ConnectRequest()).status_code == 404


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
def test_pause_resume_connect(api, http, make_sandbox):
    sbx = make_sandbox()
    sid = sbx.sandbox_id
    run(http, sid, "echo paused-data > /home/user/p.txt")
    paused = pause_sandbox.sync(sid, client=api)
    assert paused.state == "paused"
    assert pause_sandbox.sync(sid, client=api).state == "paused"  # idempotent
    snaps = list_sandbox_snapshots.sync(sid, client=api)
    assert [s.kind for s in snaps] == ["pause"]

    r = http.get(f"/sandboxes/{sid}/commands")
    assert r.status_code == 409 and "paused" in r.json()["message"]

    assert resume_sandbox.sync(sid, client=api).state == "running"
    assert resume_sandbox.sync(sid, client=api).state == "running"  # idempotent
    assert run(http, sid, "cat /home/user/p.txt")["stdout"] == "paused-data\n"

    pause_sandbox.sync(sid, client=api)
    assert connect_sandbox.sync(sid, client=api, body=ConnectRequest()).state == "running"
    assert run(http, sid, "echo ok")["exitCode"] == 0


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
def test_auto_resume(api, http, make_sandbox):
    sbx = make_sandbox(lifecycle={"autoResume": True})
    pause_sandbox.sync(sbx.sandbox_id, client=api)
    assert run(http, sbx.sandbox_id, "echo awake")["stdout"] == "awake\n"
    assert get_sandbox.sync(sbx.sandbox_id, client=api).state == "running"


def test_snapshots_restore_after_kill(api, http, make_sandbox):
    sbx = make_sandbox(metadata={"suite": "snap"}, envs={"K": "v"})
    sid = sbx.sandbox_id
    run(http, sid, "echo one > /home/user/f.txt")
    s1 = create_snapshot.sync(sid, client=api, body=NewSnapshot())
    assert s1.kind == "manual" and s1.sandbox_id == sid and s1.size_bytes > 0
    run(http, sid, "echo two > /home/user/f.txt")
    s2 = create_snapshot.sync(sid, client=api, body=NewSnapshot())
    assert [s.snapshot_id for s in list_sandbox_snapshots.sync(sid, client=api)] == [s2.snapshot_id, s1.snapshot_id]
    assert get_snapshot.sync(s1.snapshot_id, client=api).snapshot_id == s1.snapshot_id
    assert {s.snapshot_id for s in list_snapshots.sync(client=api, sandbox_id=sid)} == {s1.snapshot_id, s2.snapshot_id}

    kill_sandbox.sync_detailed(sid, client=api)
    killed = get_sandbox.sync(sid, client=api)  # still answered: it has snapshots
    assert killed.state == "killed"

    r1 = restore_sandbox.sync_detailed(sid, client=api, body=RestoreRequest(snapshot_id=s1.snapshot_id))
    assert r1.status_code == 201, r1.content
    new1 = r1.parsed
    assert new1.sandbox_id != sid and new1.restored_from == s1.snapshot_id
    assert new1.metadata.to_dict() == {"suite": "snap"} and new1.env_keys == ["K"]
    assert run(http, new1.sandbox_id, "cat /home/user/f.txt; echo $K")["stdout"] == "one\nv\n"

    new2 = restore_sandbox.sync(sid, client=api, body=RestoreRequest())  # newest manual one
    assert new2.restored_from == s2.snapshot_id
    assert run(http, new2.sandbox_id, "cat /home/user/f.txt")["stdout"] == "two\n"
    for s in (new1, new2):
        kill_sandbox.sync_detailed(s.sandbox_id, client=api)

    assert delete_snapshot.sync_detailed(s1.snapshot_id, client=api).status_code == 204
    assert delete_snapshot.sync_detailed(s1.snapshot_id, client=api).status_code == 404
    assert get_snapshot.sync_detailed(s1.snapshot_id, client=api).status_code == 404


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
def test_restore_prefers_pause_snapshot(api, http, make_sandbox):
    sid = make_sandbox().sandbox_id
    run(http, sid, "echo manual > /home/user/f.txt")
    create_snapshot.sync(sid, client=api, body=NewSnapshot())
    run(http, sid, "echo paused > /home/user/f.txt")
    pause = pause_sandbox.sync(sid, client=api)
    assert pause.state == "paused"
    kill_sandbox.sync_detailed(sid, client=api)
    restored = restore_sandbox.sync(sid, client=api, body=RestoreRequest(timeout=60))
    try:
        kinds = {s.snapshot_id: s.kind for s in list_sandbox_snapshots.sync(sid, client=api)}
        assert kinds[restored.restored_from] == "pause"
        assert run(http, restored.sandbox_id, "cat /home/user/f.txt")["stdout"] == "paused\n"
    finally:
        kill_sandbox.sync_detailed(restored.sandbox_id, client=api)


def test_snapshot_as_template(api, http, make_sandbox):
    sid = make_sandbox().sandbox_id
    run(http, sid, "echo baked > /home/user/baked.txt")
    snap = create_snapshot.sync(sid, client=api, body=NewSnapshot(as_template=True))
    assert snap.kind == "template" and snap.template_id
    tpl = get_template.sync(snap.template_id, client=api)
    assert tpl.kind == "snapshot" and tpl.ready and tpl.source_sandbox_id == sid
    assert snap.template_id in {t.template_id for t in list_templates.sync(client=api)}

    child = make_sandbox(templateID=snap.template_id)
    assert child.template_id == snap.template_id
    assert run(http, child.sandbox_id, "cat /home/user/baked.txt")["stdout"] == "baked\n"
    r = delete_snapshot.sync_detailed(snap.snapshot_id, client=api)
    assert r.status_code == 409 and child.sandbox_id in r.parsed.message
    kill_sandbox.sync_detailed(child.sandbox_id, client=api)
    assert delete_snapshot.sync_detailed(snap.snapshot_id, client=api).status_code == 204
    assert get_template.sync_detailed(snap.template_id, client=api).status_code == 404


def test_templates(api):
    base = get_template.sync("base", client=api)
    assert base.kind == "builtin" and base.ready
    assert get_template.sync_detailed("nope", client=api).status_code == 404


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
def test_metrics_sampled(api, http, make_sandbox, hutch_server):
    sid = make_sandbox().sandbox_id
    run(http, sid, "timeout 7 sh -c 'while :; do :; done'; head -c 20000000 /dev/zero > /home/user/z")

    def samples():
        got = get_sandbox_metrics.sync(sid, client=api)
        return got if got and len(got) >= 2 and got[-1].disk_used_mb >= 19 else None

    try:  # a sample a second; generous for a loaded host, where a pass waits for the runtime's workers
        got = wait_for(samples, timeout=60, what="two metrics samples, the last one after the write")
    except AssertionError:
        seen = [(s.timestamp, s.disk_used_mb) for s in get_sandbox_metrics.sync(sid, client=api) or []]
        log = [line for line in hutch_server.log_tail(1 << 20).splitlines() if "metric" in line or "sampl" in line]
        raise AssertionError(f"samples of {sid}: {seen}; the server's log on metrics: {log[-20:]}") from None
    last = got[-1]
    assert last.cpu_count == 2 and last.mem_total_mb == 1024 and last.mem_used_mb > 0
    assert last.disk_total_mb == 2048 and last.disk_used_mb >= 19
    assert max(s.cpu_used_pct for s in got) > 5
    assert all(0 <= s.cpu_used_pct <= 100 for s in got)
    ts = [s.timestamp for s in got]
    assert ts == sorted(ts)
    later = get_sandbox_metrics.sync(sid, client=api, start=ts[-1])
    assert [s.timestamp for s in later] == [ts[-1]]
