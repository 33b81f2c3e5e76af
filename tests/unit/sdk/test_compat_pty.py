"""E2B's terminal calls (issue 12), sync and async: ``wait(on_pty=)``, ``connect(pid, on_data=)`` and a
terminal killed for its timeout raising TimeoutException."""

from __future__ import annotations

import base64

import pytest
from sdk_fakes import ndjson, process

from hutch import CommandExitException, InvalidArgumentException, TimeoutException

OUTPUT = "/sandboxes/sb1/pty/9/output"


def data(*chunks: bytes) -> list[dict[str, str]]:
    return [{"type": "data", "data": base64.b64encode(c).decode()} for c in chunks]


async def test_wait_on_pty_gets_every_chunk_the_early_ones_first(sdk, api, sbx):
    api.post("/sandboxes/sb1/pty").respond(201, json=process(pid=9, pty=True))
    api.get(OUTPUT).respond(200, content=ndjson(*data(b"$ ", b"hi\r\n"), {"type": "exit", "exitCode": 0}))
    handle = await sdk(sbx.pty.create())
    got: list[bytes] = []
    result = await sdk(handle.wait(on_pty=got.append))
    assert got == [b"$ ", b"hi\r\n"] and result.exit_code == 0


async def test_connect_with_on_data(sdk, api, sbx):
    route = api.get(OUTPUT).respond(200, content=ndjson(*data(b"x", b"y"), {"type": "exit", "exitCode": 0}))
    got: list[bytes] = []
    handle = await sdk(sbx.pty.connect(9, on_data=got.append))
    assert (await sdk(handle.wait())).stdout == "xy"
    assert got == [b"x", b"y"] and route.called
    with pytest.raises(InvalidArgumentException, match="pid must be a positive int"):
        await sdk(sbx.pty.connect("9"))


async def test_a_terminal_killed_for_its_timeout_raises_timeout(sdk, api, sbx):
    exit_event = {"type": "exit", "exitCode": 137, "signal": 9, "reason": "timeout"}
    api.get(OUTPUT).respond(200, content=ndjson(*data(b"$ "), exit_event))
    handle = await sdk(sbx.pty.connect(9))
    with pytest.raises(TimeoutException) as caught:
        await sdk(handle.wait())
    assert isinstance(caught.value, CommandExitException) and caught.value.exit_code == 137


async def test_a_command_wait_accepts_on_pty(sdk, api, sbx):
    api.get("/sandboxes/sb1/commands/7").respond(200, json=process())
    api.get("/sandboxes/sb1/commands/7/output").respond(
        200,
        content=ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "a"}, {"type": "exit", "exitCode": 0}),
    )
    handle = await sdk(sbx.commands.connect(7))
    never: list[bytes] = []
    assert (await sdk(handle.wait(on_pty=never.append))).stdout == "a" and never == []


async def test_command_connect_takes_e2b_callbacks_and_request_timeout(sdk, api, sbx):
    info = api.get("/sandboxes/sb1/commands/7").respond(200, json=process())
    api.get("/sandboxes/sb1/commands/7/output").respond(
        200,
        content=ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "a"}, {"type": "exit", "exitCode": 0}),
    )
    out: list[str] = []
    handle = await sdk(sbx.commands.connect(7, 60, 5, on_stdout=out.append))
    await sdk(handle.wait())
    assert out == ["a"] and info.calls[0].request.extensions["timeout"]["read"] == 5


async def test_pty_calls_take_request_timeout(sdk, api, sbx):
    typed = api.post("/sandboxes/sb1/pty/9/input").respond(204)
    killed = api.delete("/sandboxes/sb1/pty/9").respond(204)
    await sdk(sbx.pty.send_stdin(9, "x", request_timeout=4))
    assert await sdk(sbx.pty.kill(9, request_timeout=4)) is True
    assert typed.calls[0].request.extensions["timeout"]["read"] == 4
    assert killed.calls[0].request.extensions["timeout"]["read"] == 4
