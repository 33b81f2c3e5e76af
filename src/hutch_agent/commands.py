"""Starting commands (`/bin/bash -l -c cmd` as a sandbox user) and turning their output into events."""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import os
import subprocess
import threading
from collections.abc import Callable

from .errors import HttpError
from .fdio import write_all
from .processes import Process, ProcessTable, expendable, spawn_error
from .users import User

# Linux's MAX_ARG_STRLEN: exec refuses longer arguments, so a longer `cmd` is passed through a pipe
# that this loader reads (the "." keeps trailing newlines), closes, and evals in the same login shell.
MAX_ARG_BYTES = 128 * 1024
_LOADER = '__hutch_cmd=$(cat <&{fd}; echo .); exec {fd}<&-; eval "${{__hutch_cmd%.}}"'
PIPE_SIZE = 1024 * 1024  # bigger pipes mean fewer, larger reads of fast output
_F_SETPIPE_SZ = 1031


def start_command(
    table: ProcessTable,
    cmd: str,
    user: User,
    env: dict[str, str],
    envs: dict[str, str],
    cwd: str | None,
    stdin: bool,
    timeout: float,
    tag: str | None,
) -> Process:
    """Spawn `cmd` in its own session with environment `env` (`envs` is what the client gave)."""
    if "\0" in cmd:
        raise HttpError(422, "cmd contains a NUL character")
    workdir = user.working_dir(cwd)
    script = cmd.encode("utf-8", "surrogateescape")
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin else (subprocess.DEVNULL, None)
    script_r, script_w = os.pipe() if len(script) >= MAX_ARG_BYTES else (None, None)
    ours = [fd for fd in (out_r, err_r, in_w, script_w) if fd is not None]
    theirs = [fd for fd in (out_w, err_w, in_r, script_r) if fd is not None and fd >= 0]
    for fd in (out_r, err_r):
        _grow_pipe(fd)
    try:
        child = subprocess.Popen(
            ["/bin/bash", "-l", "-c", cmd if script_r is None else _LOADER.format(fd=script_r)],
            stdin=in_r,
            stdout=out_w,
            stderr=err_w,
            pass_fds=() if script_r is None else (script_r,),
            cwd=workdir,
            env=env,
            user=user.uid,
            group=user.gid,
            extra_groups=user.groups,
            start_new_session=True,
        )
    except OSError as exc:
        for fd in ours:
            os.close(fd)
        if exc.errno == errno.E2BIG:
            raise HttpError(422, "envs are too long for the kernel (at most 128 KiB per variable)") from None
        raise spawn_error(exc, "/bin/bash") from None
    finally:
        for fd in theirs:
            os.close(fd)
    expendable(child.pid)
    process = Process(child.pid, cmd, envs, user.name, workdir, tag, pty=False)
    process.set_input(in_w)
    process.record({"type": "start", "pid": child.pid})
    unfed = script_w
    try:
        if script_w is not None:
            threading.Thread(target=_feed, args=(script_w, script), daemon=True).start()
            unfed = None
        _supervise(table, process, child, out_r, err_r, timeout)
    except (OSError, RuntimeError) as exc:  # no thread or fd left for it: it must not run unwatched
        process.kill()
        child.wait()
        for fd in (out_r, err_r) if unfed is None else (out_r, err_r, unfed):
            os.close(fd)
        process.close_input()
        process.events.close()
        raise spawn_error(exc, "the command's output reader") from None
    table.add(process)
    return process


def _feed(fd: int, data: bytes) -> None:
    """Write a long `cmd` into the pipe bash's loader reads it from."""
    try:
        write_all(fd, data)
    except OSError:
        pass  # bash died before reading it all: its exit tells the client
    finally:
        os.close(fd)


def _grow_pipe(fd: int) -> None:
    with contextlib.suppress(OSError):  # over the limit for unprivileged users: the default works too
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_SIZE)


def _stream(process: Process, kind: str) -> tuple[Callable[[bytes], None], Callable[[], None]]:
    """A sink for one output stream's bytes and its flush; multibyte characters split across reads
    stay whole, invalid bytes become U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def emit(text: str, weight: int) -> None:
        if text:
            process.record({"type": kind, "data": text}, weight)

    return (lambda data: emit(decoder.decode(data), len(data))), (lambda: emit(decoder.decode(b"", final=True), 0))


def _supervise(
    table: ProcessTable, process: Process, child: subprocess.Popen[bytes], out_r: int, err_r: int, timeout: float
) -> None:
    """Have the table's pump turn the output into events, and end the process's log when it is done."""
    stdout, flush_stdout = _stream(process, "stdout")
    stderr, flush_stderr = _stream(process, "stderr")

    def on_end(error: str | None, timed_out: bool) -> None:
        try:
            flush_stdout()
            flush_stderr()
        finally:
            os.close(out_r)
            os.close(err_r)
            process.finish(child.wait, error=error, **({"reason": "timeout"} if timed_out else {}))
            table.forget_old()

    process.supervise(table.pump, {out_r: stdout, err_r: stderr}, timeout, on_end)
