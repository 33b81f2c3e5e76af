"""Sandboxes as a whole: ``ls``, ``create``, ``info``, ``kill``, ``pause``, ``resume``, ``snapshot``, ``restore``,
``metrics``."""

from __future__ import annotations

import itertools
import json
import time

import click

from hutch import Sandbox
from hutch.cli._app import (
    EXIT_NOT_FOUND,
    App,
    CliError,
    complete_sandbox,
    example,
    json_option,
    key_values,
    pass_app,
    plain,
    print_fields,
    print_json,
    print_table,
    sandbox_argument,
    when,
)
from hutch.types import SandboxInfo, SandboxLifecycle, SandboxMetrics, SandboxQuery, SandboxResources

STATES = ("running", "paused")


def _row(s: SandboxInfo) -> list[object]:
    return [s.sandbox_id, s.name, s.template_id, s.state, when(s.started_at), when(s.end_at)]


@click.command("ls")
@click.option("--state", type=click.Choice(STATES), multiple=True, help="Only sandboxes in this state (repeatable).")
@click.option("--template", help="Only sandboxes of this template.")
@click.option("--name", help="Only the sandbox of this name.")
@click.option("--metadata", "-m", multiple=True, metavar="K=V", help="Only sandboxes with this metadata (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (newest first).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the IDs.")
@json_option
@pass_app
@example("  hutch ls --state running -m owner=ci --json")
def ls(
    app: App,
    state: tuple[str, ...],
    template: str | None,
    name: str | None,
    metadata: tuple[str, ...],
    limit: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """List your sandboxes, newest first."""
    query = SandboxQuery(
        metadata=key_values(metadata, "--metadata") or None, state=list(state) or None, template=template, name=name
    )
    found: list[SandboxInfo] = []
    token: str | None = None
    while limit is None or len(found) < limit:
        page = Sandbox.list(query, min(100, limit - len(found)) if limit else 100, token, **app.conn())
        found += page.sandboxes
        if not (token := page.next_token):
            break
    if as_json:
        print_json(found)
    elif quiet:
        for s in found:
            click.echo(s.sandbox_id)
    else:
        print_table(["ID", "NAME", "TEMPLATE", "STATE", "STARTED", "ENDS"], [_row(s) for s in found])


@click.command()
@click.option("--template", "-t", help="The template, snapshot ID or snapshot name to boot (default base).")
@click.option("--timeout", type=click.IntRange(min=1), help="Lifetime in seconds (default 300).")
@click.option("--name", help="A name, unique among your running sandboxes; other commands accept it as the ID.")
@click.option("--env", "-e", multiple=True, metavar="K=V", help="An environment variable (repeatable).")
@click.option("--metadata", "-m", multiple=True, metavar="K=V", help="Metadata to find it by (repeatable).")
@click.option("--cpu", type=click.FloatRange(min=0, min_open=True), help="CPUs (fractions allowed).")
@click.option("--memory", type=click.IntRange(min=1), metavar="MB", help="Memory limit in MiB.")
@click.option("--disk", type=click.IntRange(min=1), metavar="MB", help="Disk limit in MiB.")
@click.option("--no-internet", is_flag=True, help="No outbound network access.")
@click.option("--on-timeout", type=click.Choice(["kill", "pause"]), help="What its timeout does (default kill).")
@json_option
@pass_app
@example("  ID=$(hutch create --template base --timeout 600 -e DEBUG=1 --name worker-1)")
def create(
    app: App,
    template: str | None,
    timeout: int | None,
    name: str | None,
    env: tuple[str, ...],
    metadata: tuple[str, ...],
    cpu: float | None,
    memory: int | None,
    disk: int | None,
    no_internet: bool,
    on_timeout: str | None,
    as_json: bool,
) -> None:
    """Create a sandbox and print its ID. It runs until its timeout or `hutch kill`."""
    resources = SandboxResources()
    if cpu is not None:
        resources["cpu"] = cpu
    if memory is not None:
        resources["memory_mb"] = memory
    if disk is not None:
        resources["disk_mb"] = disk
    sbx = Sandbox.create(
        template,
        timeout,
        name=name,
        envs=key_values(env, "--env") or None,
        metadata=key_values(metadata, "--metadata") or None,
        resources=resources or None,
        allow_internet_access=not no_internet,
        lifecycle=SandboxLifecycle(on_timeout="pause" if on_timeout == "pause" else "kill") if on_timeout else None,
        **app.conn(),
    )
    sbx.close()  # not a ``with``: the sandbox outlives this command
    if as_json:
        print_json(Sandbox.get_info(sbx.sandbox_id, **app.conn()))
    else:
        click.echo(sbx.sandbox_id)


@click.command()
@sandbox_argument
@json_option
@pass_app
@example("  hutch info sbx-1234abcd --json")
def info(app: App, sandbox_id: str, as_json: bool) -> None:
    """Show a sandbox's state, settings and deadline."""
    s: SandboxInfo = Sandbox.get_info(sandbox_id, **app.conn())
    if as_json:
        print_json(s)
        return
    network = plain(s.network) if s.network else None
    print_fields(
        [
            ("ID", s.sandbox_id),
            ("Name", s.name),
            ("Template", s.template_id),
            ("State", s.state),
            ("Started", when(s.started_at)),
            ("Ends", when(s.end_at)),
            ("CPUs", s.cpu_count),
            ("Memory", f"{s.memory_mb} MiB"),
            ("Disk", f"{s.disk_mb} MiB"),
            ("Internet", "yes" if s.allow_internet_access else "no"),
            ("Network", json.dumps(network) if network else None),
            ("On timeout", s.lifecycle.get("on_timeout", "kill")),
            ("Metadata", " ".join(f"{k}={v}" for k, v in s.metadata.items())),
            ("Env", " ".join(s.envs)),
        ]
    )


@click.command()
@click.argument("sandbox_ids", metavar="ID...", nargs=-1, required=True, shell_complete=complete_sandbox)
@pass_app
@example("  hutch kill $(hutch ls -q --state paused)")
def kill(app: App, sandbox_ids: tuple[str, ...]) -> None:
    """Kill sandboxes (their snapshots stay). Exits 3 if one of them was not found."""
    missing = [i for i in sandbox_ids if not Sandbox.kill(i, **app.conn())]
    if missing:
        raise CliError(f"no such sandbox: {', '.join(missing)}", EXIT_NOT_FOUND)


@click.command()
@sandbox_argument
@pass_app
@example("  hutch pause sbx-1234abcd && hutch resume sbx-1234abcd")
def pause(app: App, sandbox_id: str) -> None:
    """Freeze a sandbox's processes in place and record its files (undone by `hutch resume`)."""
    Sandbox.pause(sandbox_id, **app.conn())


@click.command()
@sandbox_argument
@pass_app
@example("  hutch resume sbx-1234abcd")
def resume(app: App, sandbox_id: str) -> None:
    """Thaw a paused sandbox: its processes continue where they stopped."""
    Sandbox.resume(sandbox_id, **app.conn())


@click.command()
@sandbox_argument
@click.option("--name", help="Name it, so that `hutch create --template NAME` boots it.")
@json_option
@pass_app
@example("  SNAP=$(hutch snapshot sbx-1234abcd)\n  hutch restore sbx-1234abcd $SNAP")
def snapshot(app: App, sandbox_id: str, name: str | None, as_json: bool) -> None:
    """Snapshot a sandbox's files and print the snapshot ID; the sandbox keeps running."""
    taken = (
        Sandbox.create_snapshot(sandbox_id, name, **app.conn()) if name else Sandbox.snapshot(sandbox_id, **app.conn())
    )
    if as_json:
        print_json(taken)
    else:
        click.echo(taken.snapshot_id)


@click.command()
@sandbox_argument
@click.argument("snapshot_id", metavar="[SNAPSHOT]", required=False)
@click.option("--timeout", type=click.IntRange(min=1), help="The new sandbox's lifetime in seconds (default 300).")
@json_option
@pass_app
@example("  hutch restore sbx-1234abcd            # from its newest snapshot")
def restore(app: App, sandbox_id: str, snapshot_id: str | None, timeout: int | None, as_json: bool) -> None:
    """Boot a new sandbox from a snapshot of ID (default: its newest) and print the new ID."""
    sbx = Sandbox.restore(sandbox_id, snapshot_id, timeout, **app.conn())
    sbx.close()
    if as_json:
        print_json(Sandbox.get_info(sbx.sandbox_id, **app.conn()))
    else:
        click.echo(sbx.sandbox_id)


_METRICS_LINE = "{:<19}  {:<14}  {:<19}  {:<19}"


def _metrics_row(m: SandboxMetrics) -> list[str]:
    return [
        when(m.timestamp),
        f"{m.cpu_used_pct:.1f}% of {m.cpu_count:g}",
        f"{m.mem_used_mb:.0f} / {m.mem_total_mb:.0f} MiB",
        f"{m.disk_used_mb:.0f} / {m.disk_total_mb:.0f} MiB",
    ]


@click.command()
@sandbox_argument
@click.option("--watch", "-w", is_flag=True, help="Sample again every --interval seconds until Ctrl-C.")
@click.option("--interval", type=click.FloatRange(min=0.5), default=2.0, show_default=True)
@click.option("--count", type=click.IntRange(min=1), help="With --watch: stop after this many samples.")
@json_option
@pass_app
@example("  hutch metrics sbx-1234abcd --watch --json     # one JSON object per line")
def metrics(app: App, sandbox_id: str, watch: bool, interval: float, count: int | None, as_json: bool) -> None:
    """Show a sandbox's CPU, memory and disk use now (sampled for the call)."""
    for n in itertools.count(1):
        sample = SandboxMetrics(**Sandbox.get_metrics_snapshot(sandbox_id, **app.conn()))
        if as_json:
            click.echo(json.dumps(plain(sample), indent=None if watch else 2))
        else:
            if n == 1:
                click.echo(_METRICS_LINE.format("TIME", "CPU", "MEMORY", "DISK"))
            click.echo(_METRICS_LINE.format(*_metrics_row(sample)))
        if not watch or (count is not None and n >= count):
            return
        time.sleep(interval)


COMMANDS = [ls, create, info, kill, pause, resume, snapshot, restore, metrics]
