"""``hutch shell ID``: an interactive terminal in a sandbox through the PTY API, as ``docker exec -it``.

The local terminal is put in raw mode, so every key (Ctrl-C and Ctrl-D included) goes to the sandbox's
terminal, whose programs decide what it means; window-size changes (SIGWINCH) resize it.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import sys
import termios
import threading
import tty
from collections.abc import Iterator, Sequence

import click

from hutch import Sandbox
from hutch.cli._app import App, CliError, example, key_values, pass_app, sandbox_argument
from hutch.exceptions import CommandExitException
from hutch.sandbox_sync.handles import PtyHandle
from hutch.types import PtySize


def _size(fd: int) -> PtySize:
    cols, rows = os.get_terminal_size(fd)
    return PtySize(rows=rows, cols=cols)


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _write(data: bytes) -> None:
    out = sys.stdout.buffer
    out.write(data)
    out.flush()


def _pump(handle: PtyHandle, fd: int, done: threading.Event, resized: threading.Event) -> None:
    """Send keys and window sizes to the terminal until it ends."""
    while not done.is_set():
        ready, _, _ = select.select([fd], [], [], 0.1)
        if resized.is_set():  # checked after the wait: keys typed after a resize go after it
            resized.clear()
            handle.resize(_size(fd))
        if ready and not done.is_set():
            data = os.read(fd, 4096)
            if not data:
                return
            handle.send_stdin(data)


def run_terminal(sbx: Sandbox, argv: Sequence[str] | None, user: str, cwd: str | None, envs: dict[str, str]) -> int:
    """Attach this terminal to a new PTY in ``sbx`` running ``argv`` (default: a login shell); its exit code."""
    fd = sys.stdin.fileno()
    if not (os.isatty(fd) and sys.stdout.isatty()):
        raise CliError("the input device is not a terminal (use `hutch exec` without -t)")
    env = {"TERM": os.environ.get("TERM") or "xterm-256color", **envs}
    if argv:
        # The PTY API starts `bash -i -l`; its first prompt replaces it with the command, unechoed.
        env["PROMPT_COMMAND"] = "unset PROMPT_COMMAND; exec " + shlex.join(argv)
    handle = sbx.pty.create(_size(fd), user=user, cwd=cwd, envs=env, timeout=0, on_data=_write)
    done, resized = threading.Event(), threading.Event()
    outcome: list[int | BaseException] = []

    def wait() -> None:
        try:
            handle.wait()
            outcome.append(0)
        except CommandExitException as e:
            outcome.append(e.exit_code)
        except BaseException as e:
            outcome.append(e)
        finally:
            done.set()

    waiter = threading.Thread(target=wait, name="hutch-pty-output", daemon=True)
    previous = signal.signal(signal.SIGWINCH, lambda *_: resized.set())
    try:
        with _raw(fd):
            waiter.start()
            _pump(handle, fd, done, resized)
            waiter.join()
    finally:
        signal.signal(signal.SIGWINCH, previous)
        if not done.is_set():
            handle.kill()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


@click.command()
@sandbox_argument
@click.option("--user", "-u", type=click.Choice(["user", "root"]), default="user", show_default=True)
@click.option("--cwd", "-w", help="Start in this directory (default: the user's home).")
@click.option("--env", "-e", multiple=True, metavar="K=V", help="An environment variable (repeatable).")
@pass_app
@click.pass_context
@example("  hutch shell sbx-1234abcd            # exit or Ctrl-D on an empty line to leave")
def shell(ctx: click.Context, app: App, sandbox_id: str, user: str, cwd: str | None, env: tuple[str, ...]) -> None:
    """Open an interactive shell (bash) in a sandbox; exits with the shell's exit code."""
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        code = run_terminal(sbx, None, user, cwd, key_values(env, "--env"))
    ctx.exit(code)


COMMANDS = [shell]
