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
import threading

from .errors import HttpError
from .processes import Process, ProcessTable
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
    pid, master = os.forkpty()
    if pid == 0:
        _exec_shell(exec_w, user, groups, env, workdir, rows, cols)
    os.close(exec_w)
    with open(exec_r, "rb") as failure_pipe:
        failure = failure_pipe.read()
    if failure:
        os.waitpid(pid, 0)
        os.close(master)
        raise HttpError(500, f"cannot start the terminal: {failure.decode(errors='replace')}")
    terminal = Terminal(pid, " ".join(SHELL), envs, user.name, workdir, None, pty=True, max_output=SCROLLBACK)
    terminal.set_input(master)
    table.add(terminal)
    threading.Thread(target=_supervise, args=(table, terminal, master, timeout), daemon=True, name=f"pty-{pid}").start()
    return terminal


def _exec_shell(
    report: int, user: User, groups: list[int], env: dict[str, str], workdir: str, rows: int, cols: int
) -> None:
    """In the forked child: become the user and exec the shell; never returns. Failures go to `report`."""
    try:
        _set_size(0, rows, cols)
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
        terminal.record({"type": "data", "data": binascii.b2a_base64(chunk, newline=False).decode()})

    try:
        terminal.supervise({master: data}, timeout)
    finally:
        terminal.finish(lambda: os.waitstatus_to_exitcode(os.waitpid(terminal.pid, 0)[1]))
        table.forget_old()
