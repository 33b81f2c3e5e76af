"""``hutch ports ID`` (what listens in a sandbox, and its URL through the server) and ``hutch open ID PORT``."""

from __future__ import annotations

import ipaddress
import sys
import webbrowser

import click

from hutch import Sandbox
from hutch.cli._app import App, example, json_option, pass_app, print_json, print_table, sandbox_argument

LISTEN = "0A"  # the TCP state column of /proc/net/tcp
RESOLVER = ("127.0.0.53", 53)  # hutch's own DNS resolver in every sandbox, not the sandbox's server


def _address(hex_ip: str) -> str:
    raw = bytes.fromhex(hex_ip)
    # /proc/net/tcp{,6} hold addresses as host-order 32-bit words
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening(proc_net_tcp: str) -> list[tuple[str, int]]:
    """``(address, port)`` of the listening sockets in the text of ``/proc/net/tcp`` and ``tcp6``."""
    found: set[tuple[str, int]] = set()
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != LISTEN or ":" not in fields[1]:
            continue
        ip, port = fields[1].rsplit(":", 1)
        found.add((_address(ip), int(port, 16)))
    found.discard(RESOLVER)
    return sorted(found, key=lambda a: (a[1], a[0]))


def _url(sbx: Sandbox, port: int) -> str:
    return f"http://{sbx.get_host(port)}/"


@click.command()
@sandbox_argument
@json_option
@pass_app
@example("  hutch exec -d $ID -- python3 -m http.server 8000\n  hutch ports $ID")
def ports(app: App, sandbox_id: str, as_json: bool) -> None:
    """List the TCP ports listening in a sandbox and the URL each is reached at through the server.

    The server relays to 127.0.0.1:PORT in the sandbox: servers bound to 0.0.0.0 or 127.0.0.1 answer.
    """
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        text = sbx.commands.run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null || true").stdout
        found = [{"port": port, "address": addr, "url": _url(sbx, port)} for addr, port in listening(text)]
    if as_json:
        print_json(found)
    else:
        print_table(["PORT", "ADDRESS", "URL"], [[p["port"], p["address"], p["url"]] for p in found])


@click.command("open")
@sandbox_argument
@click.argument("port", type=click.IntRange(1, 65535))
@click.option("--no-browser", is_flag=True, help="Only print the URL.")
@pass_app
@example("  hutch open $ID 8000")
def open_(app: App, sandbox_id: str, port: int, no_browser: bool) -> None:
    """Print the URL of a port of a sandbox and open it in a browser (when on a terminal).

    A sandbox created without public traffic needs the API key or its traffic token on each request
    (header X-Hutch-Traffic-Token, from `hutch info --json`), which a browser does not send.
    """
    with Sandbox.connect(sandbox_id, **app.conn()) as sbx:
        url = _url(sbx, port)
    click.echo(url)
    if not no_browser and sys.stdout.isatty():
        webbrowser.open(url)


COMMANDS = [ports, open_]
