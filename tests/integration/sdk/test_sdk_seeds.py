"""The seed pages' examples (../shared/seeds) with `declaw` / `hopx_ai` / `tensorlake` replaced by
`hutch` and the key and domain pointed at the test server (hopx's `code-interpreter` template is
hutch's of that name). Calls of SDK-API.md sections 7-9 (run_code, env, network) are left out here;
the hopx page's examples that tests/integration/code/test_hopx_seed.py does not run as printed run
verbatim in test_seed_hopx_examples.py."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from hutch import AsyncCommandHandle, AsyncSandbox, CommandResult, Sandbox

pytestmark = pytest.mark.integration


async def test_declaw_async_run_parallel(hutch_server, capsys):
    key, domain = hutch_server.api_key, hutch_server.domain

    async def run_parallel():
        # Create three sandboxes concurrently
        sandboxes = await asyncio.gather(
            AsyncSandbox.create(api_key=key, domain=domain),
            AsyncSandbox.create(api_key=key, domain=domain),
            AsyncSandbox.create(api_key=key, domain=domain),
        )
        # Run commands in all three simultaneously
        results = await asyncio.gather(*[sbx.run_command("hostname") for sbx in sandboxes])
        for sbx, result in zip(sandboxes, results, strict=True):
            print(result.stdout.strip())
            await sbx.kill()

    await run_parallel()
    assert len(capsys.readouterr().out.splitlines()) == 3


async def test_declaw_async_reference(hutch_server):
    key, domain = hutch_server.api_key, hutch_server.domain
    sbx = await AsyncSandbox.create(template="base", timeout=300, envs={"MY_VAR": "hello"}, api_key=key, domain=domain)
    same = await AsyncSandbox.connect(sandbox_id=sbx.sandbox_id, api_key=key, domain=domain)
    assert same.sandbox_id == sbx.sandbox_id
    running = await sbx.is_running()
    assert running is True
    await sbx.set_timeout(600)
    info = await sbx.get_info()
    print(info.state)
    metrics = await sbx.get_metrics(start=datetime.datetime.utcnow() - datetime.timedelta(minutes=5))
    assert isinstance(metrics, list)

    result: CommandResult = await sbx.run_command("echo hello")
    assert result.stdout == "hello\n"
    handle: AsyncCommandHandle = await sbx.run_command("sleep 10", background=True)
    processes = await sbx.list_commands()
    assert handle.pid in [p.pid for p in processes]
    killed = await sbx.kill_command(pid=handle.pid)
    assert killed is True

    info = await sbx.write_file("/home/user/hello.py", "print('hello')")
    content: str = await sbx.read_file("/home/user/hello.py")
    raw: bytearray = await sbx.read_file("/home/user/hello.py", format="bytes")
    entries = await sbx.list_files("/home/user")
    assert content == "print('hello')" and raw == bytearray(b"print('hello')")
    assert "hello.py" in [e.name for e in entries]

    handle = await sbx.run_command("python3 -c 'print(6*7)'", background=True)
    print("PID:", handle.pid)
    result = await handle.wait()
    assert result.stdout == "42\n"

    snap = await sbx.snapshot()
    print(snap.snapshot_id)
    for s in await sbx.list_snapshots():
        print(s.snapshot_id, s.created_at)
    template = await sbx.create_snapshot()
    print(template.snapshot_id)
    await sbx.pause()
    await sbx.kill()
    restored = await AsyncSandbox.restore(sbx.sandbox_id, snapshot_id=snap.snapshot_id, api_key=key, domain=domain)
    assert (await restored.read_file("/home/user/hello.py")) == "print('hello')"
    await restored.kill()
    await same.close()


async def test_declaw_async_context_manager(hutch_server, capsys):
    async with await AsyncSandbox.create(api_key=hutch_server.api_key, domain=hutch_server.domain) as sbx:
        result = await sbx.run_command("python3 --version")
        print(result.stdout)
        await sbx.kill()
    assert "Python 3" in capsys.readouterr().out


def test_declaw_sync_sandbox(hutch_server):
    key, domain = hutch_server.api_key, hutch_server.domain
    sbx = Sandbox.create(
        template="base",
        timeout=300,
        metadata={"seed": "declaw-sync"},
        envs={"A": "1"},
        allow_internet_access=True,
        resources={"cpu": 1, "memory_mb": 512},
        lifecycle={"on_timeout": "pause", "auto_resume": True},
        api_key=key,
        domain=domain,
        request_timeout=60,
    )
    listing = Sandbox.list(api_key=key, domain=domain)
    assert sbx.sandbox_id in [s.sandbox_id for s in listing["sandboxes"]]
    assert "next_token" in listing or listing.get("next_token") is None
    assert Sandbox.connect(sbx.sandbox_id, timeout=300, api_key=key, domain=domain).sandbox_id == sbx.sandbox_id
    print(sbx.commands.run("echo $A").stdout, sbx.files.list("/home/user"), sbx.pty)
    sbx.pause()
    sbx.resume()
    with sbx:
        assert sbx.kill() is True  # declaw kills inside the block; the exit then changes nothing
    assert sbx.kill() is False
    sbx.close()


async def test_hopx_async_reference(hutch_env, capsys):
    sandbox = await AsyncSandbox.create(template="code-interpreter")
    info = await sandbox.get_info()
    print(info.public_host)
    assert capsys.readouterr().out == f"http://{hutch_env['HUTCH_DOMAIN']}/sandboxes/{sandbox.sandbox_id}\n"

    sandboxes = await AsyncSandbox.list(status="running")
    for sb in sandboxes:
        info = await sb.get_info()
        print(f"{info.sandbox_id}: {info.status}")
    assert f"{sandbox.sandbox_id}: running" in capsys.readouterr().out.splitlines()

    async for sb in AsyncSandbox.iter(status="running"):
        info = await sb.get_info()
        print(f"{info.sandbox_id}")
    assert sandbox.sandbox_id in capsys.readouterr().out.splitlines()

    result = await sandbox.run_code("print('Hello, HopX!')", language="python", timeout_seconds=60, env=None)
    assert result.stdout == "Hello, HopX!\n"
    handle = await sandbox.commands.run("sleep 30", background=True)
    processes = await sandbox.list_processes()
    assert {"process_id": str(handle.pid), "status": "running"}.items() <= processes[-1].items()
    print((await sandbox.kill_process(processes[-1]["process_id"]))["message"])
    assert capsys.readouterr().out == "Process killed successfully\n"
    await sandbox.set_timeout(600)
    assert sandbox.files and sandbox.commands and sandbox.env and sandbox.cache and sandbox.terminal
    assert isinstance(await sandbox.cache.stats(), dict)
    await sandbox.stop()
    await sandbox.start()
    await sandbox.pause()
    await sandbox.resume()
    await sandbox.kill()
    assert (await sandbox.get_info()).status == "killed"


async def test_tensorlake_named_suspend_resume_checkpoint(hutch_env):
    async with AsyncSandbox.create(name="tensorlake-seed") as sandbox:
        await sandbox.info()
        assert sandbox.sandbox_id and await sandbox.status() == "running"
        await sandbox.suspend()
        assert await sandbox.status() == "paused"
        again = await AsyncSandbox.connect("tensorlake-seed")  # reattach by name; resumes it
        assert await again.status() == "running"
        proc = await again.commands.run("sleep 0.2; echo done", background=True)
        assert (await proc.wait()).stdout == "done\n"
        checkpoint = await again.checkpoint()
        assert checkpoint.sandbox_id == sandbox.sandbox_id
        await again.close()
