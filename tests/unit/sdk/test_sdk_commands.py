"""commands and pty, sync and async: starting, live output, handles, re-attaching."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from sdk_fakes import GatedStream, command_events, ndjson, process, sent_json

from hutch import (
    CommandExitException,
    CommandResult,
    InvalidArgumentException,
    NotFoundException,
    ProcessInfo,
    PtySize,
    SandboxException,
)

OUTPUT = "/sandboxes/sb1/commands/7/output"


@pytest.fixture
def started(api):
    return api.post("/sandboxes/sb1/commands").respond(201, json=process())


async def test_run_sends_the_command_and_collects_its_output(sdk, api, sbx, started):
    events = command_events(("stdout", "hel"), ("stdout", "lo\n"), ("stderr", "warn\n"))
    output = api.get(OUTPUT).respond(200, content=ndjson(*events))
    result = await sdk(sbx.commands.run("echo hello", envs={"A": "1"}, cwd="/tmp", timeout=5))
    assert sent_json(started) == {
        "cmd": "echo hello",
        "envs": {"A": "1"},
        "user": "user",
        "cwd": "/tmp",
        "timeout": 5.0,
    }
    assert isinstance(result, CommandResult)
    assert (result.stdout, result.stderr, result.exit_code, result.error) == ("hello\n", "warn\n", 0, None)
    assert "offset" not in output.calls[0].request.url.params


async def test_run_defaults_and_refusals(sdk, api, sbx, started):
    api.get(OUTPUT).respond(200, content=ndjson(*command_events()))
    await sdk(sbx.commands.run("true", user="root", stdin=True, timeout=0))
    assert sent_json(started) == {"cmd": "true", "user": "root", "stdin": True}
    with pytest.raises(InvalidArgumentException, match="unexpected keyword"):
        await sdk(sbx.commands.run("true", on_stdoutt=print))
    with pytest.raises(InvalidArgumentException, match="cmd"):
        await sdk(sbx.commands.run(""))
    assert started.call_count == 1


async def test_non_zero_exit_raises_command_exit_exception_which_is_a_result(sdk, api, sbx, started):
    events = command_events(("stdout", "partial\n"), ("stderr", "boom\n"), code=3, error="timed out after 5 s")
    api.get(OUTPUT).respond(200, content=ndjson(*events))
    with pytest.raises(CommandExitException) as err:
        await sdk(sbx.commands.run("false"))
    exc = err.value
    assert isinstance(exc, CommandResult) and isinstance(exc, SandboxException)
    assert (exc.exit_code, exc.stdout, exc.stderr, exc.error) == (3, "partial\n", "boom\n", "timed out after 5 s")
    assert "code 3" in str(exc) and "boom" in str(exc)


async def test_callbacks_get_each_chunk_as_it_arrives_not_lines(sdk, api, sbx, started):
    # Issue 12 changed this from whole lines to E2B's semantics: each chunk, newlines kept, a
    # chunk without a newline (a prompt) delivered at once.
    chunks = [("stdout", "a\nb"), ("stdout", "c\nd"), ("stderr", "e\n"), ("stdout", "\n\nlast"), ("stdout", "é€")]
    api.get(OUTPUT).respond(200, content=ndjson(*command_events(*chunks)))
    out, err = [], []
    await sdk(sbx.commands.run("x", on_stdout=out.append, on_stderr=err.append))
    assert out == ["a\nb", "c\nd", "\n\nlast", "é€"]
    assert err == ["e\n"]


async def test_callbacks_fire_while_the_command_still_runs(sdk, api, sbx, started):
    stream = GatedStream(
        ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "first line\n"}),
        ndjson({"type": "stdout", "data": "second\n"}, {"type": "exit", "exitCode": 0}),
    )
    api.get(OUTPUT).mock(return_value=httpx.Response(200, stream=stream))
    seen: list[tuple[str, bool]] = []

    def on_stdout(chunk: str) -> None:
        seen.append((chunk, stream.gate.is_set()))
        stream.gate.set()  # only now does the fake server send the rest

    result = await sdk(sbx.commands.run("x", on_stdout=on_stdout))
    assert seen == [("first line\n", False), ("second\n", True)]
    assert stream.gate_waited < 4  # the first callback ran before the stream ended
    assert result.stdout == "first line\nsecond\n"


async def test_a_prompt_without_a_newline_reaches_the_callback_while_the_command_waits(sdk, api, sbx, started):
    stream = GatedStream(
        ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "Password: "}),
        ndjson({"type": "stdout", "data": "ok\n"}, {"type": "exit", "exitCode": 0}),
    )
    api.get(OUTPUT).mock(return_value=httpx.Response(200, stream=stream))
    seen: list[tuple[str, bool]] = []

    def on_stdout(chunk: str) -> None:
        seen.append((chunk, stream.gate.is_set()))
        stream.gate.set()

    await sdk(sbx.commands.run("read -p 'Password: '", on_stdout=on_stdout))
    assert seen == [("Password: ", False), ("ok\n", True)]
    assert stream.gate_waited < 4


async def test_async_callbacks_may_be_coroutines(api, created, started):
    from hutch import AsyncSandbox

    api.get(OUTPUT).respond(200, content=ndjson(*command_events(("stdout", "x\ny\n"))))
    lines: list[str] = []

    async def on_stdout(line: str) -> None:
        lines.append(line)

    async with AsyncSandbox.create() as sbx:
        await sbx.commands.run("x", on_stdout=on_stdout)
    assert lines == ["x\ny\n"]


async def test_background_handle_iterates_waits_and_accumulates(sdk, api, sbx, started):
    events = command_events(("stdout", "one\n"), ("stderr", "two\n"), ("stdout", "three\n"), code=0)
    api.get(OUTPUT).respond(200, content=ndjson(*events))
    handle = await sdk(sbx.commands.run("x", background=True))
    assert handle.pid == 7
    chunks = await sdk.items(handle)
    assert chunks == [("one\n", None, None), (None, "two\n", None), ("three\n", None, None)]
    assert (handle.stdout, handle.stderr, handle.exit_code) == ("one\nthree\n", "two\n", 0)
    lines: list[str] = []
    result = await sdk(handle.wait(on_stdout=lines.append))
    assert result.stdout == "one\nthree\n" and lines == ["one\n", "three\n"]  # earlier output replayed


async def test_handle_actions(sdk, api, sbx, started):
    api.get(OUTPUT).respond(200, content=ndjson(*command_events()))
    killed = api.delete("/sandboxes/sb1/commands/7").respond(204)
    stdin = api.post("/sandboxes/sb1/commands/7/stdin").respond(204)
    closed = api.post("/sandboxes/sb1/commands/7/stdin/close").respond(204)
    handle = await sdk(sbx.commands.run("cat", background=True, stdin=True))
    await sdk(handle.send_stdin("hi\n"))
    await sdk(handle.send_stdin(b"\x00\xff"))
    await sdk(handle.close_stdin())
    assert [c.request.content for c in stdin.calls] == [b"hi\n", b"\x00\xff"]
    assert stdin.calls[0].request.headers["Content-Type"] == "application/octet-stream"
    assert closed.called
    assert await sdk(handle.kill()) is True
    killed.respond(404, json={"code": 404, "message": "no such command"})
    assert await sdk(handle.kill()) is False
    await sdk(handle.wait())
    await sdk(handle.disconnect())


async def test_a_dropped_stream_is_resumed_at_the_event_offset(sdk, api, sbx, started):
    class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self):
            yield ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "a\n"})
            raise httpx.ReadError("connection reset")

        async def __aiter__(self):
            for chunk in self:
                yield chunk

    output = api.get(OUTPUT)
    output.side_effect = [
        httpx.Response(200, stream=Broken()),
        httpx.Response(200, content=ndjson({"type": "stdout", "data": "b\n"}, {"type": "exit", "exitCode": 0})),
    ]
    result = await sdk(sbx.commands.run("x"))
    assert result.stdout == "a\nb\n"
    assert output.calls[1].request.url.params["offset"] == "2"


async def test_a_stream_that_ends_early_is_resumed_too(sdk, api, sbx, started):
    output = api.get(OUTPUT)
    output.side_effect = [
        httpx.Response(200, content=ndjson({"type": "start", "pid": 7})),
        httpx.Response(503, json={"code": 503, "message": "busy"}),
        httpx.Response(200, content=ndjson({"type": "exit", "exitCode": 0})),
    ]
    assert (await sdk(sbx.commands.run("x"))).exit_code == 0
    assert [c.request.url.params.get("offset") for c in output.calls] == [None, "1", "1"]


async def test_a_stream_that_stops_making_progress_gives_up(sdk, api, sbx, started):
    def reply(request: httpx.Request) -> httpx.Response:
        fresh = "offset" not in request.url.params  # the server skips events already read
        return httpx.Response(200, content=ndjson({"type": "start", "pid": 7}) if fresh else b"")

    output = api.get(OUTPUT).mock(side_effect=reply)
    with pytest.raises(SandboxException, match="ended before the process did"):
        await sdk(sbx.commands.run("x"))
    assert output.call_count == 3  # max_attempts tries in all once no progress is made


async def test_malformed_output_events_are_sandbox_exceptions(sdk, api, sbx, started):
    api.get(OUTPUT).respond(200, content=ndjson({"type": "start", "pid": 7}) + b'{"type":"stdout"}\n')
    with pytest.raises(SandboxException, match="malformed output event"):
        await sdk(sbx.commands.run("x"))
    api.get(OUTPUT).respond(200, content=b"<html>\n")
    with pytest.raises(SandboxException, match="not a JSON object"):
        await sdk(sbx.commands.run("x"))


async def test_connect_replays_from_the_start(sdk, api, sbx):
    api.get("/sandboxes/sb1/commands/7").respond(200, json=process(running=False, exitCode=0))
    output = api.get(OUTPUT).respond(200, content=ndjson(*command_events(("stdout", "earlier\n"))))
    handle = await sdk(sbx.commands.connect(7))
    result = await sdk(handle.wait())
    assert result.stdout == "earlier\n"
    assert "offset" not in output.calls[0].request.url.params
    api.get("/sandboxes/sb1/commands/8").respond(404, json={"code": 404, "message": "no command 8"})
    with pytest.raises(NotFoundException, match="no command 8"):
        await sdk(sbx.commands.connect(8))


async def test_list_kill_signal_stdin(sdk, api, sbx):
    api.get("/sandboxes/sb1/commands").respond(200, json=[process(), process(pid=8, tag="t", exitCode=1)])
    signal = api.post("/sandboxes/sb1/commands/7/signal").respond(204)
    killed = api.delete("/sandboxes/sb1/commands/7").respond(404, json={"code": 404, "message": "gone"})
    stdin = api.post("/sandboxes/sb1/commands/7/stdin").respond(204)
    procs = await sdk(sbx.commands.list())
    assert all(isinstance(p, ProcessInfo) for p in procs)
    assert (procs[1].pid, procs[1].tag, procs[1].exit_code, procs[0].user) == (8, "t", 1, "user")
    await sdk(sbx.commands.send_signal(7, 15))
    assert sent_json(signal) == {"signal": 15}
    assert await sdk(sbx.commands.kill(7)) is False and killed.called
    assert await sdk(sbx.kill_command(7)) is False
    await sdk(sbx.commands.send_stdin(7, "x"))
    assert stdin.calls[0].request.content == b"x"
    with pytest.raises(InvalidArgumentException):
        await sdk(sbx.commands.send_signal(7, 99))


async def test_async_handle_accumulates_without_being_read(api, created, started):
    from hutch import AsyncSandbox

    api.get(OUTPUT).respond(200, content=ndjson(*command_events(("stdout", "bg\n"), code=2)))
    async with AsyncSandbox.create() as sbx:
        handle = await sbx.commands.run("x", background=True)
        deadline = time.monotonic() + 2
        while handle.exit_code is None and time.monotonic() < deadline:
            await __import__("asyncio").sleep(0.01)
        assert (handle.stdout, handle.exit_code) == ("bg\n", 2)
        with pytest.raises(CommandExitException):
            await handle.wait()
        assert [c async for c in handle] == [("bg\n", None, None)]  # every async for replays


async def test_disconnect_stops_reading_and_a_later_wait_reads_on(sdk, api, sbx, started):
    stream = GatedStream(ndjson({"type": "start", "pid": 7}), b"")
    output = api.get(OUTPUT)
    output.side_effect = [
        httpx.Response(200, stream=stream),
        httpx.Response(200, content=ndjson({"type": "stdout", "data": "late\n"}, {"type": "exit", "exitCode": 0})),
    ]
    handle = await sdk(sbx.commands.run("sleep 100", background=True))
    if not sdk.is_async:
        iterator = iter(handle)
        stream.gate.set()  # the sync handle reads only when asked; let the first stream end at once
    await sdk(handle.disconnect())
    assert handle.exit_code is None
    stream.gate.set()
    result = await sdk(handle.wait())
    assert result.stdout == "late\n" and handle.exit_code == 0
    assert output.calls[-1].request.url.params.get("offset") in ("1", None)
    if not sdk.is_async:
        assert list(iterator) == []


# ---------------------------------------------------------------- pty


async def test_pty_create_output_input_resize_kill(sdk, api, sbx):
    created = api.post("/sandboxes/sb1/pty").respond(201, json=process(pid=9, pty=True, cmd="/bin/bash -i -l"))
    data = [base64.b64encode(b"$ ").decode(), base64.b64encode(b"\x1b[0mhi\r\n").decode()]
    output = api.get("/sandboxes/sb1/pty/9/output").respond(
        200, content=ndjson(*({"type": "data", "data": d} for d in data), {"type": "exit", "exitCode": 0})
    )
    typed = api.post("/sandboxes/sb1/pty/9/input").respond(204)
    resized = api.post("/sandboxes/sb1/pty/9/resize").respond(204)
    killed = api.delete("/sandboxes/sb1/pty/9").respond(204)
    got: list[bytes] = []
    handle = await sdk(sbx.pty.create(PtySize(rows=30, cols=100), cwd="/tmp", envs={"X": "1"}, on_data=got.append))
    assert sent_json(created) == {
        "size": {"rows": 30, "cols": 100},
        "user": "user",
        "cwd": "/tmp",
        "envs": {"X": "1"},
        "timeout": 60.0,
    }
    await sdk(handle.send_stdin(b"echo hi\n"))
    await sdk(handle.resize(PtySize(rows=50, cols=200)))
    assert typed.calls[0].request.content == b"echo hi\n"
    assert json.loads(resized.calls[0].request.content) == {"rows": 50, "cols": 200}
    result = await sdk(handle.wait())
    assert got == [b"$ ", b"\x1b[0mhi\r\n"]
    assert result.exit_code == 0 and "hi" in result.stdout
    assert await sdk(handle.kill()) is True and killed.called
    assert output.called
    again = await sdk(sbx.terminal.connect(9))
    assert await sdk.items(again) == [b"$ ", b"\x1b[0mhi\r\n"]


async def test_connect_follows_for_at_most_its_timeout(sdk, api, sbx):
    import threading

    from hutch import TimeoutException

    api.get("/sandboxes/sb1/commands/7").respond(200, json=process())
    stream = GatedStream(ndjson({"type": "start", "pid": 7}), ndjson({"type": "stdout", "data": "late\n"}))
    api.get(OUTPUT).mock(return_value=httpx.Response(200, stream=stream))
    handle = await sdk(sbx.commands.connect(7, timeout=0.2))
    threading.Timer(0.4, stream.gate.set).start()
    with pytest.raises(TimeoutException, match="connect"):
        await sdk(handle.wait())


async def test_a_foreground_run_is_one_request(sdk, api, sbx):
    # No output route is mocked: a second request would fail as unmocked.
    start = api.routes["streamed-start"]
    start.side_effect = None
    start.respond(200, content=ndjson(*command_events(("stdout", "hi\n"))))
    result = await sdk(sbx.commands.run("echo hi"))
    assert (result.stdout, result.exit_code, start.call_count) == ("hi\n", 0, 1)
    assert start.calls[0].request.url.params["stream"] == "true"


async def test_a_foreground_run_whose_stream_drops_reattaches_at_its_offset(sdk, api, sbx):
    start, first, *rest = command_events(("stdout", "a"), ("stdout", "b"))
    api.routes["streamed-start"].side_effect = None
    api.routes["streamed-start"].respond(200, content=ndjson(start, first))
    output = api.get(OUTPUT).respond(200, content=ndjson(*rest))
    out: list[str] = []
    result = await sdk(sbx.commands.run("x", on_stdout=out.append))
    assert (result.stdout, out) == ("ab", ["a", "b"])
    assert output.calls[0].request.url.params["offset"] == "2"
