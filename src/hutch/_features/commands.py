"""Commands (spec tag ``commands``): run, list, signal and feed processes, and follow their output.

The options of ``commands.run`` (:class:`RunOptions`), its requests, the ``ProcessInfo`` converter,
the output state of a command and its output callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import hutch_api.api.commands.close_command_stdin as close_command_stdin
import hutch_api.api.commands.get_command as get_command
import hutch_api.api.commands.kill_command as kill_command
import hutch_api.api.commands.list_commands as list_commands
import hutch_api.api.commands.send_command_stdin as send_command_stdin
import hutch_api.api.commands.signal_command as signal_command
import hutch_api.api.commands.start_command as start_command
import hutch_api.api.commands.stream_command_output as stream_command_output
from hutch._core import checks
from hutch._core.body import Body, upload
from hutch._core.convert import plain, str_map, unset
from hutch._core.output import Call, Callbacks, OutputState, Started
from hutch._core.request import STREAMED, Op, build, model, models, nothing, true
from hutch.exceptions import InvalidArgumentException, SandboxNotFoundException, SandboxNotRunningException
from hutch.types import ProcessInfo
from hutch_api.models.command_request import CommandRequest
from hutch_api.models.command_request_envs import CommandRequestEnvs
from hutch_api.models.process_info import ProcessInfo as ApiProcessInfo
from hutch_api.models.signal_request import SignalRequest
from hutch_api.types import UNSET

__all__ = ["RunOptions"]

CommandChunk = tuple[str | None, str | None, bytes | None]
"""What iterating a command handle yields, as in E2B: ``(stdout, stderr, pty)``, exactly one of them
not None (a command's ``pty`` slot is always None)."""


class RunOptions(TypedDict, total=False):
    """Keywords of ``commands.run`` besides ``cmd`` and ``background``."""

    envs: Mapping[str, str] | None
    """Environment variables for this command, on top of the sandbox's."""
    user: str
    """The sandbox user to run as (default ``"user"``; ``"root"`` is allowed)."""
    cwd: str | None
    """Working directory (default: the user's home)."""
    on_stdout: Callable[[str], object] | None
    """Called with each chunk of standard output as it arrives (as in E2B: not split into lines,
    newlines kept; a prompt without a newline arrives too)."""
    on_stderr: Callable[[str], object] | None
    """Called with each chunk of standard error as it arrives."""
    stdin: bool
    """Keep stdin open for ``send_stdin`` (default False: stdin is empty)."""
    timeout: float
    """Seconds after which the sandbox kills the command's process tree (default 60; 0 = none)."""
    request_timeout: float | None
    """Seconds for the request that starts the command."""


def process_info(p: ApiProcessInfo) -> ProcessInfo:
    return plain(ProcessInfo, p, envs=str_map(p.envs))


process = model(ApiProcessInfo.from_dict, process_info)
"""Parses a ``ProcessInfo`` answer (a terminal's too)."""


def input_body(data: str | bytes) -> Body:
    """The body of a stdin write (a command's or a terminal's)."""
    if not isinstance(data, str | bytes | bytearray | memoryview):
        raise InvalidArgumentException(f"stdin data must be str or bytes, not {type(data).__name__}")
    return upload(data)


# ---------------------------------------------------------------- operations


def run(sandbox_id: str, cmd: str, opts: RunOptions, *, background: bool) -> Started[CommandChunk]:
    """The start of a command; in the foreground its answer is the output stream (one round trip)."""
    checks.known_keys(opts, RunOptions, "run")
    if not isinstance(cmd, str) or not cmd:
        raise InvalidArgumentException(f"cmd must be a non-empty string, not {cmd!r}")
    timeout = checks.stream_timeout(opts.get("timeout", 60))
    env = checks.str_dict(opts.get("envs"), "envs")
    body = CommandRequest(
        cmd=cmd,
        envs=UNSET if env is None else CommandRequestEnvs.from_dict(env),
        user=unset(opts.get("user", "user")),
        cwd=unset(opts.get("cwd")),
        stdin=True if opts.get("stdin", False) else UNSET,
        timeout=unset(timeout),
    )
    op: Op[Any]
    if background:
        op = Op(build(start_command, checks.ident(sandbox_id), body=body), process, SandboxNotFoundException)
    else:
        kwargs = build(start_command, checks.ident(sandbox_id), body=body, stream=True)
        op = Op(kwargs, nothing, SandboxNotFoundException, stream=True, idle=True)
    callbacks = OutputCallbacks.of(opts.get("on_stdout"), opts.get("on_stderr"))
    return Started(op, callbacks, opts.get("request_timeout"))


def list_processes(sandbox_id: str) -> Op[list[ProcessInfo]]:
    return Op(build(list_commands, checks.ident(sandbox_id)), models(ApiProcessInfo.from_dict, process_info))


def get_process(sandbox_id: str, pid: int) -> Op[ProcessInfo]:
    return Op(build(get_command, checks.ident(sandbox_id), checks.pid(pid)), process)


def kill(sandbox_id: str, pid: int) -> Op[bool]:
    return Op(build(kill_command, checks.ident(sandbox_id), checks.pid(pid)), true, answers={404: False})


def signal(sandbox_id: str, pid: int, signal: int) -> Op[None]:
    number = int(signal)  # accepts signal.Signals
    if not 1 <= number <= 64:
        raise InvalidArgumentException(f"signal must be from 1 to 64, not {signal!r}")
    body = SignalRequest(signal=number)
    return Op(build(signal_command, checks.ident(sandbox_id), checks.pid(pid), body=body), nothing)


def send_stdin(sandbox_id: str, pid: int, data: str | bytes) -> Op[None]:
    kwargs = build(send_command_stdin, checks.ident(sandbox_id), checks.pid(pid), body=STREAMED)
    return Op(kwargs, nothing, body=input_body(data))


def close_stdin(sandbox_id: str, pid: int) -> Op[None]:
    return Op(build(close_command_stdin, checks.ident(sandbox_id), checks.pid(pid)), nothing, idempotent=True)


def output(sandbox_id: str, pid: int, offset: int) -> Op[None]:
    """Follows a process known to exist (run started it, connect checked it): a 404 means its sandbox is gone."""
    kwargs = build(stream_command_output, checks.ident(sandbox_id), checks.pid(pid), offset=offset or UNSET)
    return Op(kwargs, nothing, SandboxNotRunningException, stream=True, idle=True)


# ---------------------------------------------------------------- output


class CommandOutput(OutputState[CommandChunk]):
    """Output of a command: ``stdout`` and ``stderr`` events."""

    def _chunk(self, kind: str, event: Mapping[str, Any]) -> CommandChunk | None:
        if kind == "stdout":
            return (str(event["data"]), None, None)
        if kind == "stderr":
            return (None, str(event["data"]), None)
        return None  # "start" and types a newer server may add

    def _text(self) -> tuple[str, str]:
        return self.stdout, self.stderr

    @property
    def stdout(self) -> str:
        return "".join(out for out, _, _ in self.chunks if out is not None)

    @property
    def stderr(self) -> str:
        return "".join(err for _, err, _ in self.chunks if err is not None)


class CommandOutputMixin:
    """``stdout`` / ``stderr`` accumulated so far, for command handles."""

    _state: OutputState[CommandChunk]

    @property
    def stdout(self) -> str:
        """Standard output read so far."""
        assert isinstance(self._state, CommandOutput)
        return self._state.stdout

    @property
    def stderr(self) -> str:
        """Standard error read so far."""
        assert isinstance(self._state, CommandOutput)
        return self._state.stderr


OutputCallback = Callable[[str], object]
"""``on_stdout`` / ``on_stderr``: called with each chunk; on async handles it may be a coroutine function."""


class OutputCallbacks(Callbacks[CommandChunk]):
    """``on_stdout`` / ``on_stderr`` get each chunk of text as soon as it arrives (E2B's semantics).

    The agent decodes UTF-8 incrementally, so a character split across reads arrives whole.
    """

    @classmethod
    def of(cls, on_stdout: OutputCallback | None, on_stderr: OutputCallback | None) -> OutputCallbacks | None:
        """The callbacks, or None when neither is given."""
        return cls(on_stdout, on_stderr) if on_stdout or on_stderr else None

    def __init__(self, on_stdout: OutputCallback | None, on_stderr: OutputCallback | None) -> None:
        self._targets = (on_stdout, on_stderr)

    def calls(self, chunk: CommandChunk) -> list[Call]:
        return [(cb, text) for cb, text in zip(self._targets, chunk[:2], strict=True) if cb is not None and text]
