"""Commands in a sandbox: ``hutch exec`` (exit code passed through, stdin forwarded with ``-i``) and ``hutch logs``."""

from __future__ import annotations

import shlex
import sys
import threading
from typing import IO

import click

from hutch import Sandbox
from hutch.cli._app import (
    App,
    example,
    json_option,
    key_values,
    pass_app,
    print_json,
    print_table,
    sandbox_argument,
    when,
)
from hutch.cli.shell import run_terminal
from hutch.exceptions import CommandExitException, TimeoutException
from hutch.sandbox_sync.handles import CommandHandle

SO_FAR_SECONDS = 2


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _forward_stdin(handle: CommandHandle, stream: IO[bytes]) -> None:
    """Copy local stdin to the command's until end of file, then close it (as a pipe would)."""
    read = getattr(stream, "read1", stream.read)
    try:
        while data := read(65536):
            handle.send_stdin(data)
        handle.close_stdin()
    except Exception:
        pass  # the command ended (or stopped reading) first: nothing left to feed


def _exit_code(handle: CommandHandle) -> int:
    try:
        handle.wait(on_stdout=_out, on_stderr=_err)
    except CommandExitException as e:
        return e.exit_code
    return 0


@click.command("exec", context_settings={"ignore_unknown_options": True})
@sandbox_argument
@click.argument("argv", metavar="-- CMD...", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--interactive", "-i", is_flag=True, help="Forward stdin to the command.")
@click.option("--tty", "-t", is_flag=True, help="Run it on a terminal (raw mode, resizes; needs a local terminal).")
@click.option("--detach", "-d", is_flag=True, help="Start it in the background and print its PID (see `hutch logs`).")
@click.option("--user", "-u", type=click.Choice(["user", "root"]), default="user", show_default=True)
@click.option("--cwd", "-w", help="Working directory (default: the user's home).")
@click.option("--env", "-e", multiple=True, metavar="K=V", help="An environment variable (repeatable).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Kill it after this many seconds (0: never).",
)
@pass_app
@click.pass_context
@example(
    "  hutch exec $ID -- python3 -c 'import sys; sys.exit(3)'; echo $?   # 3\n"
    "  tar c src | hutch exec -i $ID -- tar x -C /tmp\n"
    "  hutch exec -it $ID -- python3                                  # a REPL\n"
    "  hutch exec -d $ID -- python3 -m http.server 8000               # prints its PID"
)
def exec_(
    ctx: click.Context,
    app: App,
    sandbox_id: str,
    argv: tuple[str, ...],
    interactive: bool,
    tty: bool,
    detach: bool,
    user: str,
    cwd: str | None,
    env: tuple[str, ...],
    timeout: float,
) -> None:
    """Run a command in a sandbox, streaming its output; exits with the command's exit code.

    The command is run as given (no shell): use `-- bash -c '...'` for pipes and variables.
    """
    envs = key_values(env, "--env")
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        if tty:
            ctx.exit(run_terminal(sbx, argv, user, cwd, envs))
        handle = sbx.commands.run(
            shlex.join(argv), background=True, stdin=interactive, envs=envs, user=user, cwd=cwd, timeout=timeout
        )
        if detach:
            click.echo(handle.pid)
            handle.disconnect()
            return
        if interactive:
            threading.Thread(target=_forward_stdin, args=(handle, sys.stdin.buffer), daemon=True).start()
        try:
            code = _exit_code(handle)
        except KeyboardInterrupt:
            handle.kill()  # Ctrl-C here ends the command there too
            raise
    ctx.exit(code)


@click.command()
@sandbox_argument
@click.argument("pid", type=int)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new output until the command ends.")
@pass_app
@example("  PID=$(hutch exec -d $ID -- ./build.sh)\n  hutch logs $ID $PID -f")
def logs(app: App, sandbox_id: str, pid: int, follow: bool) -> None:
    """Print a command's output (stdout to stdout, stderr to stderr), from its start.

    Without --follow, a running command's output is printed as far as it has got (what arrives
    within 2 seconds).
    """
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        running = any(p.pid == pid and p.running for p in sbx.commands.list())
        # Without --follow a running command's output is printed as far as it has got: the stream has
        # no "so far" mark, so it is read for a moment (the replay of earlier output comes at once).
        handle = sbx.commands.connect(pid, timeout=0 if follow or not running else SO_FAR_SECONDS)
        try:
            _exit_code(handle)
        except TimeoutException:
            pass
        finally:
            handle.disconnect()


@click.command()
@sandbox_argument
@json_option
@pass_app
@example("  hutch ps $ID --json")
def ps(app: App, sandbox_id: str, as_json: bool) -> None:
    """List the commands started in a sandbox (running and finished) with their PIDs, oldest first."""
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        found = sbx.commands.list()
    if as_json:
        print_json(found)
        return
    rows = [
        [p.pid, "running" if p.running else f"exited {p.exit_code}", p.user, when(p.started_at), p.cmd] for p in found
    ]
    print_table(["PID", "STATUS", "USER", "STARTED", "COMMAND"], rows)


COMMANDS = [exec_, logs, ps]
