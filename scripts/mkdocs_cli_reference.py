"""mkdocs hook: the CLI reference page is generated from the `hutch` command itself (every command's
`--help`, as a terminal shows it), where the page says ``<!-- hutch-cli-reference -->``."""

from __future__ import annotations

from typing import Any

import click

MARKER = "<!-- hutch-cli-reference -->"


def _sections(cmd: click.Command, ctx: click.Context) -> list[str]:
    path = ctx.command_path
    out = [f"## {path}\n\n```text\n{cmd.get_help(ctx)}\n```\n"]
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out += _sections(sub, click.Context(sub, info_name=name, parent=ctx, terminal_width=100))
    return out


def reference() -> str:
    from hutch.cli import main

    ctx = click.Context(main, info_name="hutch", terminal_width=100, max_content_width=100)
    return "\n".join(_sections(main, ctx))


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return markdown.replace(MARKER, reference()) if MARKER in markdown else markdown
