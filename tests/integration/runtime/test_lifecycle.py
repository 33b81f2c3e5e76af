"""Freeze, snapshots, destroy and crash recovery against real sandboxes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import AGENT, DATA_DIR, Sandboxes

from hutchd.runtime import Runtime, SandboxNotFound, SandboxSpec, cgroups, overlay

BUSY = "nohup sh -c 'while :; do :; done' >/dev/null 2>&1 &"


def _cpu_delta(rt: Runtime, sid: str, seconds: float) -> int:
    before = rt.metrics(sid).cpu_usage_usec
    time.sleep(seconds)
    return rt.metrics(sid).cpu_usage_usec - before


def test_freeze_stops_cpu_and_thaw_resumes(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, cpu=1.0)
    boxes.run(sid, BUSY)
    # Lower bounds stay loose: other work on a 2-core host can starve the busy loop.
    assert _cpu_delta(rt, sid, 1.0) > 50_000
    rt.freeze(sid)
    assert rt.is_frozen(sid)
    assert _cpu_delta(rt, sid, 1.0) < 2_000
    assert rt.is_alive(sid)
    rt.thaw(sid)
    assert not rt.is_frozen(sid)
    assert _cpu_delta(rt, sid, 1.0) > 50_000


def test_cpu_limit_is_enforced(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, cpu=0.5)
    boxes.run(sid, BUSY + BUSY)
    assert _cpu_delta(rt, sid, 1.0) < 700_000


def test_metrics(rt: Runtime, session_boxes: Sandboxes, offline: str) -> None:
    session_boxes.run(offline, "head -c 3000000 /dev/urandom > /root/blob")
    usage = rt.metrics(offline)
    assert usage.mem_limit_bytes == 1024 << 20
    assert 0 < usage.mem_used_bytes < usage.mem_limit_bytes
    assert usage.cpu_usage_usec > 0
    assert usage.disk_limit_bytes == 2048 << 20
    assert usage.cpu_count == 2.0
    session_boxes.run(offline, "rm /root/blob")


SETUP = """
set -e
echo v1 > /root/state
mkdir -p /home/user/project && echo hello > /home/user/project/readme
rm /etc/debian_version
rm -rf /usr/share/doc && mkdir /usr/share/doc && echo only > /usr/share/doc/new
"""
CHECK = """
cat /root/state /home/user/project/readme
test -e /etc/debian_version && echo WHITEOUT-LOST
ls /usr/share/doc
"""


def test_snapshot_then_restore_gives_the_same_files(rt: Runtime, boxes: Sandboxes) -> None:
    src = boxes.start(allow_internet=False)
    assert boxes.run(src, SETUP).exit_code == 0
    snap = f"snap-{src}"
    try:
        size = rt.snapshot(src, snap)
        assert size > 0
        assert not rt.is_frozen(src)
        boxes.run(src, "echo v2 > /root/state")  # after the snapshot: must not leak into it
        restored = boxes.start(allow_internet=False, from_snapshot=snap)
        assert boxes.run(restored, CHECK).stdout == "v1\nhello\nnew\n"
        boxes.run(restored, "echo v3 > /root/state")  # the snapshot stays immutable
        again = boxes.start(allow_internet=False, from_snapshot=snap)
        assert boxes.run(again, "cat /root/state").stdout == "v1\n"
    finally:
        rt.delete_snapshot(snap)
    assert not (DATA_DIR / "snapshots" / snap).exists()


def test_snapshot_of_a_frozen_sandbox_keeps_it_frozen(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False)
    rt.freeze(sid)
    try:
        rt.snapshot(sid, f"snap-{sid}")
        assert rt.is_frozen(sid)
    finally:
        rt.thaw(sid)
        rt.delete_snapshot(f"snap-{sid}")


def test_promoted_snapshot_becomes_a_template(rt: Runtime, boxes: Sandboxes) -> None:
    src = boxes.start(allow_internet=False)
    boxes.run(src, "echo baked > /opt/baked")
    snap, tid = f"snap-{src}", f"tpl-{src}"
    rt.snapshot(src, snap)
    rt.promote_snapshot_to_template(snap, tid)
    rt.delete_snapshot(snap)  # the template holds its own copy
    try:
        child = boxes.start(allow_internet=False, template_id=tid)
        assert boxes.run(child, "cat /opt/baked").stdout == "baked\n"
        boxes.close()
        boxes.ids.clear()
    finally:
        rt.templates.delete(tid)


def _traces(rt: Runtime, sid: str) -> list[str]:
    """Everything a sandbox could leave behind on the host."""
    left = [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if f"/{sid}/" in line]
    for p in (rt.layout.sandbox_dir(sid), rt.layout.run_dir(sid)):
        if p.exists():
            left.append(str(p))
    # this data dir's cgroup subtree in every hierarchy (others' sandboxes come and go meanwhile)
    left += [str(base / sid) for base in cgroups._bases(rt._cg_group).values() if base and (base / sid).exists()]
    return left


def test_destroy_leaves_nothing(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=True)
    boxes.run(sid, BUSY + "echo data > /root/f")
    pids = rt._require_state(sid).cgroups.pids()
    assert len(pids) >= 4  # bwrap init, agent, busy loop, slirp4netns
    assert _traces(rt, sid)
    rt.destroy(sid)
    assert _traces(rt, sid) == []
    assert [p for p in pids if Path(f"/proc/{p}").exists()] == []  # gone and reaped, no zombies
    rt.destroy(sid)  # idempotent
    with pytest.raises(SandboxNotFound):
        rt.metrics(sid)


SERVER = """
import sys
from pathlib import Path
sys.path[:0] = {paths!r}
from hutchd.runtime import Runtime, SandboxSpec
rt = Runtime(Path({data!r}), agent_src=Path({agent!r}))
rt.start(SandboxSpec(sandbox_id=sys.argv[1], allow_internet=False))
"""


def test_sandbox_survives_the_server_and_is_readopted(rt: Runtime, boxes: Sandboxes) -> None:
    sid = f"t{os.getpid()}-survivor"
    script = SERVER.format(paths=sys.path, data=str(DATA_DIR), agent=str(AGENT))
    subprocess.run([sys.executable, "-c", script, sid], check=True, timeout=60)  # that "server" has exited
    boxes.ids.append(sid)
    restarted = Runtime(DATA_DIR, agent_src=AGENT)
    assert restarted.is_alive(sid)
    report = restarted.recover(set(restarted.sandboxes()))
    assert sid in report.adopted
    assert boxes.run(sid, "echo ok").stdout == "ok\n"


def test_recover_adopts_live_cleans_unknown_and_keeps_dead_uppers(rt: Runtime, boxes: Sandboxes) -> None:
    live = boxes.start(allow_internet=False)
    dead = boxes.start(allow_internet=True)
    unknown = boxes.start(allow_internet=False)
    boxes.run(dead, "echo precious > /root/work")
    rt._require_state(dead).cgroups.kill()  # the sandbox died while the server was down
    restarted = Runtime(DATA_DIR, agent_src=AGENT)
    known = set(restarted.sandboxes()) - {unknown}
    report = restarted.recover(known)
    assert live in report.adopted
    assert unknown in report.cleaned and _traces(rt, unknown) == []
    assert dead in report.kept_upper
    assert not restarted.is_alive(dead)
    assert (rt.layout.sandbox_dir(dead) / "upper" / "root" / "work").read_text() == "precious\n"
    assert [t for t in _traces(rt, dead) if not t.endswith(dead)] == []  # only the kept dir remains
    assert boxes.run(live, "echo ok").stdout == "ok\n"
    # the kept files become a snapshot, and a new sandbox starts from it
    snap = f"snap-{dead}"
    restarted.preserve_upper(dead, snap)
    try:
        assert _traces(rt, dead) == []
        again = boxes.start(allow_internet=False, from_snapshot=snap)
        assert boxes.run(again, "cat /root/work").stdout == "precious\n"
    finally:
        restarted.delete_snapshot(snap)


def test_errors_say_what_to_do(rt: Runtime) -> None:
    from hutchd.runtime import SandboxExists, SnapshotNotFound, TemplateNotFound

    with pytest.raises(TemplateNotFound, match="does not exist"):
        rt.start(SandboxSpec(sandbox_id="t-nope", template_id="no-such-template"))
    with pytest.raises(SnapshotNotFound):
        rt.start(SandboxSpec(sandbox_id="t-nope", from_snapshot="no-such-snapshot"))
    with pytest.raises(SandboxNotFound):
        rt.freeze("t-nope")
    with pytest.raises(ValueError, match="invalid sandbox id"):
        rt.start(SandboxSpec(sandbox_id="../etc"))
    with pytest.raises(ValueError, match="memory_mb"):
        rt.start(SandboxSpec(sandbox_id="t-nope", memory_mb=1))
    assert SandboxExists


def test_limits_change_on_a_running_sandbox(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, memory_mb=256, cpu=1.0)
    rt.set_limits(sid, cpu=0.5, memory_mb=512, pids=100)
    assert rt.metrics(sid).mem_limit_bytes == 512 << 20
    rt.set_limits(sid, cpu=0.5, memory_mb=128, pids=100)
    usage = rt.metrics(sid)
    assert (usage.mem_limit_bytes, usage.cpu_count) == (128 << 20, 0.5)
    assert boxes.run(sid, "python3 -c 'b = bytearray(200 << 20)'").exit_code in (-9, 137)


def test_concurrent_starts_and_destroys(rt: Runtime, boxes: Sandboxes) -> None:
    """The server calls the runtime from worker threads: loop devices, cgroups, fds must not collide."""
    ids = [f"t{os.getpid()}-c{i}" for i in range(6)]
    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(lambda i: rt.start(SandboxSpec(sandbox_id=ids[i], allow_internet=i % 2 == 0)), range(len(ids))))
    boxes.ids += ids
    assert all(rt.is_alive(sid) for sid in ids)
    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(rt.destroy, ids))
    assert [t for sid in ids for t in _traces(rt, sid)] == []


def _simulate_reboot_and_recover(rt: Runtime, sid: str) -> None:
    """A reboot leaves only the data dir: no processes, mounts, loop devices or cgroups."""
    state = rt._require_state(sid)
    state.cgroups.kill()
    overlay.unmount_all(rt.layout.sandbox_dir(sid))
    cgroups.remove_dirs(state.cgroups.dirs())
    report = Runtime(DATA_DIR, agent_src=AGENT).recover(set(rt.sandboxes()))  # the others live on
    assert report.kept_upper == [sid] and report.cleaned == []
    assert (rt.layout.sandbox_dir(sid) / "upper" / "root" / "note").read_text() == "survived\n"
    assert [t for t in _traces(rt, sid) if not t.endswith(sid)] == []


def test_recover_after_a_host_reboot_keeps_the_files(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False)
    boxes.run(sid, "echo survived > /root/note")
    _simulate_reboot_and_recover(rt, sid)


def test_recover_reopens_a_disk_still_alive_in_another_mount_namespace(rt: Runtime, boxes: Sandboxes) -> None:
    """Every bwrap being set up (any server's) copies the host's mounts and holds them until it
    pivots (seconds under load), so a disk unmounted from the host can still be alive on its loop
    device when recovery reopens it. A mount namespace made here holds such a copy throughout."""
    sid = boxes.start(allow_internet=False)
    boxes.run(sid, "echo survived > /root/note")
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", "echo ready; exec sleep 120"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        _simulate_reboot_and_recover(rt, sid)
    finally:
        holder.kill()
        holder.wait()
    assert (rt.layout.sandbox_dir(sid) / "upper" / "root" / "note").read_text() == "survived\n"
    assert [t for t in _traces(rt, sid) if not t.endswith(sid)] == []
