"""The `hutch` command: a click group with one module per command group (`hutch template ...` is
cli/template.py); `serve` and `cleanup` are the server's own (hutchd/cli.py)."""

from __future__ import annotations

import click

from hutch.cli.template import template


@click.group()
@click.version_option(package_name="hutch", prog_name="hutch")
def main() -> None:
    """hutch: disposable, isolated Linux sandboxes."""


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@main.command(context_settings=_PASS_THROUGH)
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Start the server (`hutch serve --help` for its options)."""
    from hutchd.cli import main as server_main

    ctx.exit(server_main(["serve", *ctx.args]))


@main.command(context_settings=_PASS_THROUGH)
@click.pass_context
def cleanup(ctx: click.Context) -> None:
    """Remove every sandbox of a data dir (`hutch cleanup --help` for its options)."""
    from hutchd.cli import main as server_main

    ctx.exit(server_main(["cleanup", *ctx.args]))


main.add_command(template)
