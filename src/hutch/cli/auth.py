"""``hutch auth login/logout`` (the config file) and ``hutch whoami`` (which server and key, and does it work)."""

from __future__ import annotations

import click

from hutch import Sandbox
from hutch.cli import config
from hutch.cli._app import App, example, json_option, pass_app, print_fields, print_json
from hutch.config import DEFAULT_DOMAIN


def _masked(key: str | None) -> str | None:
    """Enough of a key to tell keys apart, not enough to use it."""
    if not key:
        return None
    return key[:4] + "..." + key[-4:] if len(key) > 12 else "*" * len(key)


@click.group()
def auth() -> None:
    """Store or forget the server and API key the CLI uses (~/.config/hutch/config.toml, mode 0600).

    Flags (--domain, --api-key) win over $HUTCH_DOMAIN / $HUTCH_API_KEY, which win over the file.
    """


@auth.command()
@click.option("--domain", metavar="HOST:PORT", help="The hutch server (default: the one in use now).")
@click.option("--api-key", metavar="KEY", help="The API key (asked for, hidden, when not given).")
@pass_app
@example("  hutch auth login --domain 127.0.0.1:7420 --api-key $KEY")
def login(app: App, domain: str | None, api_key: str | None) -> None:
    """Check the server accepts the key, then store both in the config file."""
    now = app.settings()
    domain = domain or now.domain or DEFAULT_DOMAIN
    api_key = api_key or now.api_key or click.prompt("API key", hide_input=True)
    Sandbox.list(limit=1, domain=domain, api_key=api_key, debug=app.debug)  # raises when refused
    stored = config.load(app.config_file)
    config.save(app.config_file, {**stored, "domain": domain, "api_key": api_key})
    click.echo(f"hutch: logged in to {domain}; saved in {app.config_file}", err=True)


@auth.command()
@pass_app
@example("  hutch auth logout")
def logout(app: App) -> None:
    """Forget the stored API key (the stored domain stays)."""
    stored = config.load(app.config_file)
    if "api_key" in stored:
        del stored["api_key"]
        config.save(app.config_file, stored)
    click.echo(f"hutch: no API key stored in {app.config_file}", err=True)


@click.command()
@json_option
@pass_app
@example("  hutch whoami --json")
def whoami(app: App, as_json: bool) -> None:
    """Show the server and API key in use, where each came from, and whether the server accepts the key."""
    s = app.settings()
    running = len(Sandbox.list(limit=100, **app.conn()).sandboxes)  # raises (exit 4) when the key is refused
    report = {
        "domain": s.domain or DEFAULT_DOMAIN,
        "domain_from": s.domain_from,
        "api_key": _masked(s.api_key),
        "api_key_from": s.api_key_from,
        "authenticated": True,
        "sandboxes": running,
    }
    if as_json:
        print_json(report)
        return
    print_fields(
        [
            ("Server", f"{report['domain']} (from {s.domain_from})"),
            ("API key", f"{report['api_key']} (from {s.api_key_from})"),
            ("Status", "authenticated"),
            ("Sandboxes", f"{running}{'+' if running == 100 else ''}"),
        ]
    )


COMMANDS = [auth, whoami]
