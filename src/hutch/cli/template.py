"""``hutch template build | ls | rm``: templates through the public SDK (E2B's ``e2b template ...``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from hutch import BuildException, Template, TemplateBuildStatus
from hutch.cli._app import EXIT_NOT_FOUND, App, CliError, example, pass_app, print_table, when

POLL = 0.2
BAR = 30


def _bar(done: int, total: int) -> str:
    filled = BAR * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}"


@click.group()
def template() -> None:
    """Build, list and remove templates."""


@template.command()
@click.option("-f", "--file", "dockerfile", type=click.Path(dir_okay=False, path_type=Path),
              help="The Dockerfile (PATH/Dockerfile by default).")  # fmt: skip
@click.option("--alias", help="A name for the template (building it again replaces its content).")
@click.option("--cpu-count", type=click.IntRange(min=1), help="CPUs of its sandboxes.")
@click.option("--memory-mb", type=click.IntRange(min=128), help="Memory of its sandboxes, in MiB.")
@click.option("--no-cache", is_flag=True, help="Run every step again.")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
@example("  hutch template build -f Dockerfile --alias my-app .   # the log on stdout, a progress bar on stderr")
def build(
    app: App, dockerfile: Path | None, alias: str | None, cpu_count: int | None, memory_mb: int | None,
    no_cache: bool, path: Path,
) -> None:  # fmt: skip
    """Build a template from a Dockerfile; PATH holds the files it copies."""
    source = dockerfile or path / "Dockerfile"
    if not source.is_file():
        raise click.UsageError(f"no Dockerfile at {source}; name one with -f")
    conn = app.conn()
    started = time.monotonic()
    spec = Template(file_context_path=path).from_dockerfile(source.read_text())
    info = Template.build_in_background(spec, alias=alias, cpu_count=cpu_count, memory_mb=memory_mb,
                                       skip_cache=no_cache, **conn)  # fmt: skip
    offset, shown = 0, -1
    while True:
        status = Template.get_build_status(info, logs_offset=offset, **conn)
        offset += len(status.log_entries)
        for entry in status.log_entries:
            click.echo(entry.message)
        if status.steps_done != shown:
            shown = status.steps_done
            click.echo(_bar(shown, status.steps_total), file=sys.stderr)
        if status.status == TemplateBuildStatus.READY:
            break
        if status.status == TemplateBuildStatus.ERROR:
            raise CliError(str(BuildException(status.reason.message if status.reason else "the build failed")))
        time.sleep(POLL)
    click.echo(f"built {info.alias} ({info.template_id}) in {time.monotonic() - started:.1f}s", err=True)
    click.echo(info.template_id)


@template.command(name="ls")
@pass_app
@example("  hutch template ls")
def list_templates(app: App) -> None:
    """List the built-in templates and yours."""
    rows = [
        (t.template_id, ",".join(t.aliases) or "-", t.kind, "yes" if t.ready else "no", when(t.created_at))
        for t in Template.list(**app.conn())
    ]
    print_table(("TEMPLATE", "ALIASES", "KIND", "READY", "CREATED"), rows)


@template.command(name="rm")
@click.argument("templates", nargs=-1, required=True)
@pass_app
@example("  hutch template rm my-app")
def remove(app: App, templates: tuple[str, ...]) -> None:
    """Delete templates of yours (by ID or alias)."""
    missing = []
    for name in templates:
        if Template.delete(name, **app.conn()):
            click.echo(f"removed {name}")
        else:
            missing.append(name)
    if missing:
        raise CliError(f"no such template: {', '.join(missing)}", EXIT_NOT_FOUND)
