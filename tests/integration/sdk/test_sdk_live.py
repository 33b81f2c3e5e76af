"""Every SDK method end to end against a real `hutch serve`, sync and async (one body each)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from hutch import (
    CommandExitException,
    EntryInfo,
    FileNotFoundException,
    NotFoundException,
    PtySize,
    SandboxNotFoundException,
    SandboxQuery,
    WriteEntry,
)

pytestmark = pytest.mark.integration


async def test_lifecycle(sdk):
    tag = uuid.uuid4().hex[:8]
    sbx = await sdk.create(timeout=300, metadata={"run": tag}, envs={"GREETING": "hi"}, name=f"sdk-{tag}")
    try:
        info = await sdk(sbx.get_info())
        assert (info.state, info.metadata, info.name, info.template_id) == (
            "running",
            {"run": tag},
            f"sdk-{tag}",
            "base",
        )
        assert "GREETING" in info.envs
        assert await sdk(sbx.is_running()) is True and await sdk(sbx.status()) == "running"
        before = info.end_at
        await sdk(sbx.set_timeout(900))
        assert (await sdk(sbx.info())).end_at > before

        page = await sdk(sdk.cls.list(query=SandboxQuery(metadata={"run": tag}), limit=10))
        assert [s.sandbox_id for s in page] == [sbx.sandbox_id] and page["next_token"] is None
        found = [s.sandbox_id for s in await sdk.items(sdk.cls.iter(query=SandboxQuery(name=f"sdk-{tag}")))]
        assert found == [sbx.sandbox_id]

        await sdk(sbx.pause())
        assert await sdk(sbx.status()) == "paused" and await sdk(sbx.is_running()) is False
        await sdk(sbx.resume())
        assert await sdk(sbx.is_running()) is True
        await sdk(sbx.suspend())
        again = await sdk(sdk.cls.connect(f"sdk-{tag}"))  # by name; resumes it
        assert again.sandbox_id == sbx.sandbox_id and await sdk(again.is_running())
        await sdk(again.close())

        metrics = await sdk(sbx.get_metrics())
        assert all(m.mem_total_mb > 0 for m in metrics)
    finally:
        assert await sdk(sbx.kill()) is True
    assert await sdk(sbx.kill()) is False
    assert await sdk(sdk.cls.kill(sbx.sandbox_id)) is False
    assert await sdk(sbx.is_running()) is False
    with pytest.raises(SandboxNotFoundException):
        await sdk(sdk.cls.connect(sbx.sandbox_id))
    await sdk(sbx.close())


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_context_managers(sdk, hutch_server):
    if sdk.is_async:
        from hutch import AsyncSandbox

        async with AsyncSandbox.create() as a:
            sid = a.sandbox_id
        assert not await AsyncSandbox.is_running(sid)
        async with await AsyncSandbox.create() as b:
            async with await AsyncSandbox.connect(b.sandbox_id) as c:
                assert c.sandbox_id == b.sandbox_id
            assert await b.is_running()  # a connected sandbox is only closed
        assert not await b.is_running()
    else:
        from hutch import Sandbox

        with Sandbox.create() as a, Sandbox.connect(a.sandbox_id) as c:
            assert c.sandbox_id == a.sandbox_id
        assert not Sandbox.is_running(a.sandbox_id)


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_snapshots_and_restore(sdk):
    sbx = await sdk.create()
    try:
        await sdk(sbx.files.write("/home/user/state.txt", "one"))
        snap = await sdk(sbx.snapshot())
        assert snap.kind == "manual" and snap.sandbox_id == sbx.sandbox_id
        await sdk(sbx.files.write("/home/user/state.txt", "two"))
        template = await sdk(sbx.create_snapshot())
        kinds = [s.kind for s in await sdk(sbx.list_snapshots())]
        assert "manual" in kinds and "template" in kinds
    finally:
        await sdk(sbx.kill())
    restored = await sdk(sdk.cls.restore(sbx.sandbox_id, snapshot_id=snap.snapshot_id))
    try:
        assert await sdk(restored.files.read("/home/user/state.txt")) == "one"
    finally:
        await sdk(restored.kill())
    child = await sdk.create(template=template.template_id)
    try:
        assert await sdk(child.files.read("/home/user/state.txt")) == "two"
    finally:
        await sdk(child.kill())
    assert await sdk(sdk.cls.delete_snapshot(snap.snapshot_id)) is True
    assert await sdk(sdk.cls.delete_snapshot(snap.snapshot_id)) is False


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_commands(sdk, sbx):
    result = await sdk(sbx.commands.run("echo $A; pwd; whoami; echo err >&2", envs={"A": "x"}, cwd="/tmp"))
    assert result.stdout == "x\n/tmp\nuser\n" and result.stderr == "err\n" and result.exit_code == 0
    assert (await sdk(sbx.commands.run("whoami", user="root"))).stdout == "root\n"
    with pytest.raises(CommandExitException) as err:
        await sdk(sbx.commands.run("echo out; exit 7"))
    assert err.value.exit_code == 7 and err.value.stdout == "out\n"
    with pytest.raises(CommandExitException) as err:
        await sdk(sbx.commands.run("sleep 30", timeout=1))
    assert err.value.exit_code != 0

    handle = await sdk(sbx.commands.run("cat", background=True, stdin=True))
    await sdk(handle.send_stdin("hello\n"))
    await sdk(handle.close_stdin())
    assert (await sdk(handle.wait())).stdout == "hello\n"

    long = await sdk(sbx.commands.run("sleep 60", background=True))
    pids = [p.pid for p in await sdk(sbx.commands.list()) if p.running]
    assert long.pid in pids
    await sdk(sbx.commands.send_signal(long.pid, 15))
    with pytest.raises(CommandExitException) as err:
        await sdk(long.wait())
    assert err.value.exit_code == 128 + 15
    assert await sdk(sbx.commands.kill(long.pid)) is False

    sleeper = await sdk(sbx.run_command("sleep 60", background=True))
    assert await sdk(sbx.kill_command(sleeper.pid)) is True
    assert await sdk(sbx.list_commands())


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_output_is_live_and_replayable(sdk, sbx):
    arrivals: list[tuple[str, float]] = []
    cmd = "for i in 1 2 3 4; do echo line $i; sleep 0.5; done"
    await sdk(sbx.commands.run(cmd, on_stdout=lambda chunk: arrivals.append((chunk, time.monotonic()))))
    finished = time.monotonic()
    # chunks as they arrive (issue 12: E2B's semantics, no longer whole lines); 0.5 s apart, one each
    assert [chunk for chunk, _ in arrivals] == ["line 1\n", "line 2\n", "line 3\n", "line 4\n"]
    assert finished - arrivals[0][1] > 1.0  # the first line was seen while the command still ran
    assert arrivals[3][1] - arrivals[0][1] > 1.0  # lines arrive spread out, not in one burst at the end

    handle = await sdk(sbx.commands.run("echo a; sleep 0.3; echo b >&2; sleep 0.3; echo c", background=True))
    chunks = await sdk.items(handle)
    assert "".join(out or "" for out, _, _ in chunks) == "a\nc\n"
    assert "".join(err or "" for _, err, _ in chunks) == "b\n"
    assert all(pty is None for _, _, pty in chunks)
    again = await sdk(sbx.commands.connect(handle.pid))  # replayed from the start
    assert (await sdk(again.wait())).stdout == "a\nc\n"
    with pytest.raises(NotFoundException):
        await sdk(sbx.commands.connect(999999))


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_files(sdk, sbx):
    info = await sdk(sbx.files.write("dir/a.txt", "héllo"))
    assert info.path == "/home/user/dir/a.txt" and info.name == "a.txt"
    assert await sdk(sbx.files.read("/home/user/dir/a.txt")) == "héllo"
    assert await sdk(sbx.read_file("dir/a.txt", format="bytes")) == bytearray("héllo".encode())
    assert b"".join(await sdk.items(await sdk(sbx.files.read("dir/a.txt", format="stream")))) == "héllo".encode()
    await sdk(sbx.write_file("/tmp/bin", bytes(range(256))))
    assert await sdk(sbx.files.read("/tmp/bin", format="bytes")) == bytes(range(256))

    written = await sdk(sbx.files.write_files([WriteEntry("batch/1", "one"), WriteEntry("/tmp/batch/2", b"two")]))
    assert [w.path for w in written] == ["/home/user/batch/1", "/tmp/batch/2"]
    entries = await sdk(sbx.files.list("/home/user", depth=2))
    assert {"/home/user/dir", "/home/user/dir/a.txt", "/home/user/batch/1"} <= {e.path for e in entries}
    assert all(isinstance(e, EntryInfo) for e in await sdk(sbx.list_files("/tmp")))
    assert await sdk(sbx.files.exists("dir/a.txt")) and not await sdk(sbx.files.exists("dir/none"))
    stat = await sdk(sbx.files.get_info("dir/a.txt"))
    assert (stat.type, stat.size, stat.owner) == ("file", len("héllo".encode()), "user")
    moved = await sdk(sbx.files.rename("dir/a.txt", "moved/a.txt"))
    assert moved.path == "/home/user/moved/a.txt" and not await sdk(sbx.files.exists("dir/a.txt"))
    assert await sdk(sbx.files.make_dir("/tmp/newdir/sub")) is True
    assert await sdk(sbx.files.make_dir("/tmp/newdir/sub")) is False
    await sdk(sbx.files.remove("/tmp/newdir"))
    assert not await sdk(sbx.files.exists("/tmp/newdir"))
    with pytest.raises(FileNotFoundException):
        await sdk(sbx.files.read("/no/such/file"))


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_watch_dir(sdk, sbx):
    await sdk(sbx.files.make_dir("/tmp/w"))
    if sdk.is_async:
        seen = []
        handle = await sbx.files.watch_dir("/tmp/w", on_event=seen.append)
        await sbx.files.write("/tmp/w/new.txt", "x")
        deadline = time.monotonic() + 10
        while not any(e.path == "/tmp/w/new.txt" for e in seen) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await handle.stop()
    else:
        handle = sbx.files.watch_dir("/tmp/w")
        sbx.files.write("/tmp/w/new.txt", "x")
        seen = []
        deadline = time.monotonic() + 10
        while not any(e.path == "/tmp/w/new.txt" for e in seen) and time.monotonic() < deadline:
            seen += handle.get_new_events()
            time.sleep(0.05)
        handle.stop()
    # The agent writes through a temporary file that it renames into place.
    assert any(e.type in ("create", "write", "rename") and e.path == "/tmp/w/new.txt" for e in seen), seen


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_pty(sdk, sbx):
    received: list[bytes] = []
    term = await sdk(sbx.pty.create(PtySize(rows=24, cols=80), on_data=received.append))
    await sdk(term.resize(PtySize(rows=40, cols=120)))
    await sdk(term.send_stdin(b"stty size; echo marker-$((6*7))\n"))
    await sdk(term.send_stdin(b"exit\n"))
    result = await sdk(term.wait())
    output = b"".join(received).decode(errors="replace")
    assert "marker-42" in output and "40 120" in output and "marker-42" in result.stdout
    other = await sdk(sbx.terminal.create())
    assert await sdk(other.kill()) is True
    with pytest.raises(CommandExitException):
        await sdk(other.wait())  # killed: exit code 128 + 9
    assert await sdk(sbx.pty.kill(other.pid)) is False
