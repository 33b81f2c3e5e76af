"""Terminals (spec tag ``pty``): start, type into, resize and kill them, and follow their output."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import hutch_api.api.pty.create_pty as create_pty
import hutch_api.api.pty.kill_pty as kill_pty
import hutch_api.api.pty.resize_pty as resize_pty
import hutch_api.api.pty.send_pty_input as send_pty_input
import hutch_api.api.pty.stream_pty_output as stream_pty_output
from hutch._core import checks
from hutch._core.convert import unset
from hutch._core.output import Call, Callbacks, OutputState, Started
from hutch._core.request import STREAMED, Op, build, nothing, true
from hutch._features.commands import input_body, process
from hutch.exceptions import InvalidArgumentException, SandboxNotFoundException
from hutch.types import PtySize
from hutch_api.models.pty_request import PtyRequest
from hutch_api.models.pty_request_envs import PtyRequestEnvs
from hutch_api.models.pty_size import PtySize as ApiPtySize
from hutch_api.types import UNSET

__all__ = ["PtyOptions"]


class PtyOptions(TypedDict, total=False):
    """Keywords of ``pty.create`` besides ``size``."""

    user: str
    """The sandbox user (default ``"user"``)."""
    cwd: str | None
    envs: Mapping[str, str] | None
    timeout: float
    """Seconds after which the terminal is killed (default 60; 0 = none)."""
    on_data: Callable[[bytes], object] | None
    """Called with each chunk of terminal output as it arrives."""
    request_timeout: float | None


def _size(size: PtySize) -> ApiPtySize:
    if not isinstance(size, PtySize):
        raise InvalidArgumentException(f"size must be a PtySize, not {type(size).__name__}")
    return ApiPtySize(rows=int(size.rows), cols=int(size.cols))


def create(sandbox_id: str, size: PtySize | None, opts: PtyOptions) -> Started[bytes]:
    checks.known_keys(opts, PtyOptions, "pty.create")
    env = checks.str_dict(opts.get("envs"), "envs")
    timeout = opts.get("timeout", 60)
    body = PtyRequest(
        size=_size(size or PtySize()),
        user=unset(opts.get("user", "user")),
        cwd=unset(opts.get("cwd")),
        envs=UNSET if env is None else PtyRequestEnvs.from_dict(env),
        timeout=UNSET if not timeout else float(timeout),
    )
    op = Op(build(create_pty, checks.ident(sandbox_id), body=body), process, SandboxNotFoundException)
    on_data = opts.get("on_data")
    return Started(op, DataCallbacks.of(on_data), opts.get("request_timeout"))


def kill(sandbox_id: str, pid: int) -> Op[bool]:
    return Op(build(kill_pty, checks.ident(sandbox_id), checks.pid(pid)), true, answers={404: False})


def send_input(sandbox_id: str, pid: int, data: str | bytes) -> Op[None]:
    kwargs = build(send_pty_input, checks.ident(sandbox_id), checks.pid(pid), body=STREAMED)
    return Op(kwargs, nothing, body=input_body(data))


def resize(sandbox_id: str, pid: int, size: PtySize) -> Op[None]:
    kwargs = build(resize_pty, checks.ident(sandbox_id), checks.pid(pid), body=_size(size))
    return Op(kwargs, nothing, idempotent=True)


def output(sandbox_id: str, pid: int, offset: int) -> Op[None]:
    kwargs = build(stream_pty_output, checks.ident(sandbox_id), checks.pid(pid), offset=offset or UNSET)
    return Op(kwargs, nothing, stream=True, idle=True)


class PtyOutput(OutputState[bytes]):
    """Output of a terminal: base64 ``data`` events."""

    def _chunk(self, kind: str, event: Mapping[str, Any]) -> bytes | None:
        if kind == "data":
            return base64.b64decode(str(event["data"]), validate=True)
        return None

    def _text(self) -> tuple[str, str]:
        return b"".join(self.chunks).decode("utf-8", "replace"), ""


class DataCallbacks(Callbacks[bytes]):
    """``on_data`` gets each chunk of terminal output as it arrives."""

    def __init__(self, on_data: Callable[[bytes], object] | None) -> None:
        self._on_data = on_data

    @classmethod
    def of(cls, on_data: Callable[[bytes], object] | None) -> DataCallbacks | None:
        """The callbacks, or None without a callback."""
        return None if on_data is None else cls(on_data)

    def calls(self, chunk: bytes) -> list[Call]:
        return [] if self._on_data is None else [(self._on_data, chunk)]
