"""``hutch``: drive sandboxes from the shell (``hutch ls``, ``create``, ``exec``, ``shell``, ``cp`` ...) and
run the server (``hutch serve``). Every command talks to the server through the public SDK."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import click

from hutch._version import __version__
from hutch.cli import _app
from hutch.cli._app import App, HutchGroup

# One module per command group; each exposes ``COMMANDS``. ``template`` is registered when present.
MODULES = ("auth", "sandboxes", "run", "shell", "copy", "ports", "server")


@click.group(
    cls=HutchGroup,
    epilog=_app.EXIT_CODES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="hutch")
@click.option(
    "--domain", metavar="HOST:PORT", help="The hutch server (default: $HUTCH_DOMAIN, config, localhost:7420)."
)
@click.option("--api-key", metavar="KEY", help="The API key (default: $HUTCH_API_KEY, then the config file).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config file (default: $HUTCH_CONFIG or ~/.config/hutch/config.toml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and log every request.")
@click.pass_context
def main(ctx: click.Context, domain: str | None, api_key: str | None, config_file: Path | None, debug: bool) -> None:
    """Disposable, isolated Linux sandboxes from the shell.

    \b
    Examples:
      hutch auth login --domain 127.0.0.1:7420     # store the server and API key
      ID=$(hutch create --timeout 600)             # a sandbox for ten minutes
      hutch exec $ID -- python3 -c 'print(6*7)'
      hutch shell $ID                              # an interactive terminal
      hutch cp ./data $ID:/home/user/data
      hutch kill $ID

    Shell completion: eval "$(_HUTCH_COMPLETE=bash_source hutch)" (zsh_source, fish_source).
    """
    app = ctx.ensure_object(App)
    app.domain, app.api_key, app.debug = domain, api_key, debug
    if config_file is not None:
        app.config_file = config_file


for _name in MODULES:
    for _command in importlib.import_module(f"hutch.cli.{_name}").COMMANDS:
        main.add_command(_command)
if importlib.util.find_spec("hutch.cli.template") is not None:
    main.add_command(importlib.import_module("hutch.cli.template").template)
