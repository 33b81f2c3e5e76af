"""What every command shares: the connection, one-line errors and exit codes, and data output (``--json``)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import inspect
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from hutch.cli import config
from hutch.config import ConnectionOpts
from hutch.exceptions import (
    AuthenticationException,
    NotFoundException,
    PermissionDeniedException,
    SandboxException,
    ServiceUnavailableException,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES = """\b
Exit codes:
  0    success
  1    the server or the sandbox refused or failed (the message says why)
  2    bad usage (unknown option, missing argument)
  3    not found (sandbox, snapshot, file or command)
  4    authentication failed (no or wrong API key)
  5    the server cannot be reached
  130  interrupted (Ctrl-C)
  exec and shell exit with the command's own exit code."""

EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 2, 3, 4, 5, 130


class CliError(click.ClickException):
    """An error shown as one line (``hutch: ...``) with its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        vars(self)["exit_code"] = exit_code  # click declares it a class variable; each error has its own

    def show(self, file: Any = None) -> None:
        click.echo(f"hutch: {self.format_message()}", err=True)


def exit_code_of(exc: SandboxException) -> int:
    if isinstance(exc, NotFoundException):
        return EXIT_NOT_FOUND
    if isinstance(exc, AuthenticationException | PermissionDeniedException):
        return EXIT_AUTH
    if isinstance(exc, ServiceUnavailableException) and exc.status_code is None:
        return EXIT_UNREACHABLE  # no answer at all (a 503 has a status)
    return EXIT_ERROR


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (server messages can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 1000 else text[:997] + "..."


@dataclass
class App:
    """The ``hutch`` group's options, handed to every command as ``click.pass_obj``."""

    domain: str | None = None
    api_key: str | None = None
    debug: bool = False
    config_file: Path = dataclasses.field(default_factory=config.config_path)

    def settings(self) -> config.Settings:
        try:
            return config.resolve(self.domain, self.api_key, self.config_file)
        except ValueError as e:
            raise CliError(str(e)) from None

    def conn(self) -> ConnectionOpts:
        """The SDK's connection keywords."""
        s = self.settings()
        opts: ConnectionOpts = {}
        if s.domain:
            opts["domain"] = s.domain
        if s.api_key:
            opts["api_key"] = s.api_key
        if self.debug:
            opts["debug"] = True
        return opts


pass_app = click.make_pass_decorator(App, ensure=True)


class HutchGroup(click.Group):
    """A group whose commands' errors become one line and an exit code (tracebacks only with ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("hutch: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as e:
            app = ctx.find_object(App)
            if app is not None and app.debug:
                raise
            if isinstance(e, SandboxException):
                raise CliError(one_line(e), exit_code_of(e)) from None
            if isinstance(e, OSError):
                raise CliError(one_line(e)) from None
            raise CliError(f"{type(e).__name__}: {one_line(e)} (run with --debug for the traceback)") from None


def example(text: str) -> Callable[[F], F]:
    """Append an example to a command's help (click shows ``\\b`` blocks verbatim)."""

    def add(f: F) -> F:
        f.__doc__ = inspect.cleandoc(f.__doc__ or "") + "\n\n\b\nExample:\n" + text.rstrip() + "\n"
        return f

    return add


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def complete_sandbox(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of sandbox IDs: the caller's sandboxes (none when the server cannot be asked)."""
    from hutch import Sandbox

    app = ctx.find_object(App) or App()
    try:
        found = Sandbox.list(limit=100, **app.conn()).sandboxes
    except Exception:
        return []
    return [CompletionItem(s.sandbox_id, help=s.name) for s in found if s.sandbox_id.startswith(incomplete)]


sandbox_argument = click.argument("sandbox_id", metavar="ID", shell_complete=complete_sandbox)
"""The sandbox a command acts on (shell completion lists yours)."""


def key_values(values: Sequence[str], what: str) -> dict[str, str]:
    """``K=V`` options into a dict (``--env``, ``--metadata``)."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=what)
        out[key] = value
    return out


# ---------------------------------------------------------------- output


def plain(value: Any) -> Any:
    """``value`` as JSON data (dataclasses, datetimes and enums included)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))


def when(t: datetime.datetime | None) -> str:
    """A timestamp for a table: local time to the second."""
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S") if t else "-"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table on stdout: rich's when it is installed (``hutch[cli]``) and stdout is a terminal, else columns."""
    cells = [[("-" if c is None else str(c)) for c in row] for row in rows]
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*headers, box=None, header_style="bold")
            for row in cells:
                table.add_row(*row)
            Console().print(table)
            return
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def print_fields(pairs: Sequence[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for k, v in pairs:
        click.echo(f"{k.ljust(width)}  {'-' if v is None or v == '' else v}")


@contextmanager
def progress(total: int, label: str, show: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (rich's with ``hutch[cli]``, else click's); yields ``advance(n_bytes)``."""
    if not show:
        yield lambda n: None
        return
    try:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
    except ImportError:
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar.update
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    from rich.console import Console

    with Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
