"""`hutch template build | ls | rm`: templates through the public SDK (E2B's `e2b template ...`)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hutch import BuildException, SandboxException, Template, TemplateBuildStatus
from hutch.config import ConnectionOpts

POLL = 0.2
BAR = 30


def _conn(domain: str | None, api_key: str | None) -> ConnectionOpts:
    conn: ConnectionOpts = {}
    if domain:
        conn["domain"] = domain
    if api_key:
        conn["api_key"] = api_key
    return conn


def _bar(done: int, total: int) -> str:
    filled = BAR * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}"


@click.group()
def template() -> None:
    """Build, list and remove templates."""


_domain = click.option("--domain", envvar="HUTCH_DOMAIN", help="the server (host:port); HUTCH_DOMAIN by default")
_api_key = click.option("--api-key", envvar="HUTCH_API_KEY", help="your API key; HUTCH_API_KEY by default")


@template.command()
@click.option("-f", "--file", "dockerfile", type=click.Path(dir_okay=False, path_type=Path),
              help="the Dockerfile (PATH/Dockerfile by default)")  # fmt: skip
@click.option("--alias", help="a name for the template (building it again replaces its content)")
@click.option("--cpu-count", type=int, help="CPUs of its sandboxes")
@click.option("--memory-mb", type=int, help="memory of its sandboxes, in MiB")
@click.option("--no-cache", is_flag=True, help="run every step again")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_domain
@_api_key
def build(
    dockerfile: Path | None, alias: str | None, cpu_count: int | None, memory_mb: int | None, no_cache: bool,
    path: Path, domain: str | None, api_key: str | None,
) -> None:  # fmt: skip
    """Build a template from a Dockerfile; PATH holds the files it copies."""
    source = dockerfile or path / "Dockerfile"
    if not source.is_file():
        raise click.UsageError(f"no Dockerfile at {source}; name one with -f")
    conn = _conn(domain, api_key)
    started = time.monotonic()
    try:
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
                click.echo(_bar(shown, status.steps_total), err=True)
            if status.status == TemplateBuildStatus.READY:
                break
            if status.status == TemplateBuildStatus.ERROR:
                raise BuildException(status.reason.message if status.reason else "the build failed", status.reason)
            time.sleep(POLL)
    except (BuildException, SandboxException) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"built {info.alias} ({info.template_id}) in {time.monotonic() - started:.1f}s", err=True)
    click.echo(info.template_id)


@template.command(name="ls")
@_domain
@_api_key
def list_templates(domain: str | None, api_key: str | None) -> None:
    """List the built-in templates and yours."""
    try:
        found = Template.list(**_conn(domain, api_key))
    except SandboxException as e:
        raise click.ClickException(str(e)) from None
    rows = [("TEMPLATE", "ALIASES", "KIND", "READY", "CREATED")]
    for t in found:
        rows.append((t.template_id, ",".join(t.aliases) or "-", t.kind, "yes" if t.ready else "no",
                     t.created_at.strftime("%Y-%m-%d %H:%M")))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@template.command(name="rm")
@click.argument("templates", nargs=-1, required=True)
@_domain
@_api_key
def remove(templates: tuple[str, ...], domain: str | None, api_key: str | None) -> None:
    """Delete templates of yours (by ID or alias)."""
    failed = False
    for name in templates:
        try:
            gone = Template.delete(name, **_conn(domain, api_key))
        except SandboxException as e:
            click.echo(f"{name}: {e}", err=True)
            failed = True
            continue
        click.echo(f"removed {name}" if gone else f"{name}: no such template", err=not gone)
        failed = failed or not gone
    if failed:
        raise SystemExit(1)
