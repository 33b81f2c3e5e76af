"""E2B's exception classes and which calls raise them (issue 12), sync and async.

A command past its ``timeout`` raises a ``TimeoutException`` (still a ``CommandExitException``); a
sandbox that is gone while a command is followed raises ``SandboxNotRunningException`` (a
``TimeoutException`` and a ``SandboxNotFoundException``); 502/503 raise E2B's classes, which are
hutch's ``ServiceUnavailableException`` too.
"""

from __future__ import annotations

import httpx
import pytest
from sdk_fakes import command_events, ndjson, process

import hutch
import hutch.exceptions
from hutch import (
    CommandExitException,
    CommandTimeoutException,
    GuestUnresponsiveException,
    SandboxException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    SandboxUnreachableException,
    ServiceBusyException,
    ServiceUnavailableException,
    TemplateException,
    TimeoutException,
)

OUTPUT = "/sandboxes/sb1/commands/7/output"
NEW = (
    "CommandTimeoutException",
    "GuestUnresponsiveException",
    "SandboxNotRunningException",
    "SandboxUnreachableException",
    "ServiceBusyException",
    "TemplateException",
)


@pytest.fixture
async def sbx(sdk, api, created):
    api.post("/sandboxes/sb1/commands").respond(201, json=process())
    sandbox = await sdk.create()
    yield sandbox
    await sdk(sandbox.close())


def test_the_new_classes_are_importable_from_hutch_and_hutch_exceptions():
    for name in NEW:
        assert getattr(hutch, name) is getattr(hutch.exceptions, name)
        assert name in hutch.exceptions.__all__


def test_e2b_bases_and_hutch_bases_both_hold():
    assert issubclass(SandboxNotRunningException, TimeoutException)
    assert issubclass(SandboxNotRunningException, SandboxNotFoundException)
    assert issubclass(SandboxUnreachableException, TimeoutException)
    assert issubclass(SandboxUnreachableException, ServiceUnavailableException)
    assert issubclass(ServiceBusyException, ServiceUnavailableException)
    assert issubclass(CommandTimeoutException, TimeoutException)
    assert issubclass(CommandTimeoutException, CommandExitException)
    assert issubclass(TemplateException, SandboxException)
    assert GuestUnresponsiveException.code == "sandbox_snapshot_guest_agent_unresponsive"


def test_command_exit_text_is_e2bs():
    exc = CommandExitException("", "boom\n", 3)
    assert str(exc) == "Command exited with code 3 and error:\nboom"


async def test_a_command_past_its_timeout_raises_timeout_exception(sdk, api, sbx):
    events = command_events(("stdout", "partial\n"), code=137, error="timed out after 1 s")
    events[-1]["reason"] = "timeout"
    events[-1]["signal"] = 9
    api.get(OUTPUT).respond(200, content=ndjson(*events))
    with pytest.raises(TimeoutException) as err:
        await sdk(sbx.commands.run("sleep 10", timeout=1))
    exc = err.value
    assert isinstance(exc, CommandTimeoutException) and isinstance(exc, CommandExitException)
    assert (exc.exit_code, exc.stdout, exc.error) == (137, "partial\n", "timed out after 1 s")
    assert "timed out" in str(exc)


async def test_a_plain_kill_by_signal_is_not_a_timeout(sdk, api, sbx):
    api.get(OUTPUT).respond(200, content=ndjson(*command_events(code=137)))
    with pytest.raises(CommandExitException) as err:
        await sdk(sbx.commands.run("kill -9 $$"))
    assert not isinstance(err.value, TimeoutException)


async def test_waiting_on_a_command_whose_sandbox_is_gone_raises_sandbox_not_running(sdk, api, sbx):
    dropped = ndjson({"type": "start", "pid": 7}, {"type": "stdout", "data": "hi\n"})  # ends before exit
    api.get(OUTPUT).mock(
        side_effect=[
            httpx.Response(200, content=dropped),
            httpx.Response(404, json={"code": 404, "message": "sandbox sb1 not found"}),
        ]
    )
    handle = await sdk(sbx.commands.run("sleep 100", background=True))
    with pytest.raises(TimeoutException) as err:
        await sdk(handle.wait())
    assert isinstance(err.value, SandboxNotRunningException) and isinstance(err.value, SandboxNotFoundException)
    assert "sb1 not found" in str(err.value)


@pytest.mark.parametrize(("status", "cls"), [(502, SandboxUnreachableException), (503, ServiceBusyException)])
async def test_502_and_503_raise_e2bs_classes(sdk, api, created, status, cls):
    api.get("/sandboxes/sb1").respond(status, json={"code": status, "message": "down"})
    sbx = await sdk.create()
    with pytest.raises(cls) as err:
        await sdk(sbx.get_info())
    assert isinstance(err.value, ServiceUnavailableException) and err.value.status_code == status
