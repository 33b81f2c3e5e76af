"""Interactive terminals: `/bin/bash -i -l` as a sandbox user on a new pseudo-terminal.

Started with `os.forkpty` rather than `subprocess`: the shell must be a session leader with the pty
as its controlling terminal (for job control and ^C), which needs code between fork and exec. The
child only makes system calls before exec, so forking from a threaded agent is safe.
"""

from __future__ import annotations

import binascii
import fcntl
import os
import signal
import struct
import termios

from .errors import HttpError
from .processes import CHILD_OOM_SCORE_ADJ, Process, ProcessTable, spawn_error
from .users import User

SHELL = ["/bin/bash", "-i", "-l"]
# A terminal may run for days (top, a REPL): its replay keeps only the latest output.
SCROLLBACK = 1024 * 1024


class Terminal(Process):
    """A process on a pty: its input is the pty master, which can also be resized."""

    def resize(self, rows: int, cols: int) -> None:
        with self._input_lock:
            if self._input_fd is None:
                raise HttpError(404, f"terminal {self.pid} is not running")
            _set_size(self._input_fd, rows, cols)


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def start_terminal(
    table: ProcessTable,
    user: User,
    env: dict[str, str],
    envs: dict[str, str],
    cwd: str | None,
    rows: int,
    cols: int,
    timeout: float,
) -> Terminal:
    """Start a login shell with environment `env` (`envs` is what the client gave) on a new pty."""
    workdir = user.working_dir(cwd)
    groups = user.groups
    # Closed by the child's exec (close-on-exec), or carrying why it failed: like subprocess, we answer
    # only once the shell runs, so a kill right after can find its process group.
    exec_r, exec_w = os.pipe()
    try:
        pid, master = os.forkpty()
    except OSError as exc:
        os.close(exec_r)
        os.close(exec_w)
        raise spawn_error(exc, SHELL[0]) from None
    if pid == 0:
        _exec_shell(exec_w, user, groups, env, workdir, rows, cols)
    os.close(exec_w)
    with open(exec_r, "rb") as failure_pipe:
        failure = failure_pipe.read()
    if failure:
        os.waitpid(pid, 0)
        os.close(master)
        raise HttpError(500, f"cannot start the terminal: {failure.decode(errors='replace')}")
    terminal = Terminal(pid, " ".join(SHELL), envs, user.name, workdir, None, pty=True, head=0, tail=SCROLLBACK)
    terminal.set_input(master)
    try:
        _supervise(table, terminal, master, timeout)
    except OSError as exc:  # no fd left to watch it: it must not run unwatched
        terminal.kill()
        os.waitpid(pid, 0)
        terminal.close_input()
        terminal.events.close()
        raise spawn_error(exc, "the terminal's output reader") from None
    table.add(terminal)
    return terminal


def _exec_shell(
    report: int, user: User, groups: list[int], env: dict[str, str], workdir: str, rows: int, cols: int
) -> None:
    """In the forked child: become the user and exec the shell; never returns. Failures go to `report`."""
    try:
        _set_size(0, rows, cols)
        try:  # as processes.expendable, but before the shell runs
            with open("/proc/self/oom_score_adj", "w") as oom:
                oom.write(str(CHILD_OOM_SCORE_ADJ))
        except OSError:
            pass
        os.chdir(workdir)
        os.setgroups(groups)
        os.setgid(user.gid)
        os.setuid(user.uid)
        for number in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores these; the shell must not
            signal.signal(number, signal.SIG_DFL)
        os.execve(SHELL[0], SHELL, env)
    except BaseException as exc:
        os.write(report, str(exc).encode() or type(exc).__name__.encode())
    finally:
        os._exit(127)


def _supervise(table: ProcessTable, terminal: Terminal, master: int, timeout: float) -> None:
    def data(chunk: bytes) -> None:
        terminal.record({"type": "data", "data": binascii.b2a_base64(chunk, newline=False).decode()}, len(chunk))

    def on_end(error: str | None, timed_out: bool) -> None:
        try:  # a terminal killed for its timeout says so, as a command does (the SDK's TimeoutException)
            terminal.finish(
                lambda: os.waitstatus_to_exitcode(os.waitpid(terminal.pid, 0)[1]),
                **({"reason": "timeout"} if timed_out else {}),
            )
        finally:
            table.forget_old()

    terminal.supervise(table.pump, {master: data}, timeout, on_end)
