"""Entry point: `python3 -S -m hutch_agent` inside a sandbox, `--listen PATH` on a host for tests,
`--listen-tcp HOST:PORT` as a Kubernetes pod's entrypoint.

In a sandbox the host has already bound and listens on the socket and passes it as fd
`HUTCH_AGENT_FD`, so nothing in the sandbox can replace the socket the control plane talks to.

On a TCP listener anything on the network could connect, so `HUTCH_AGENT_TOKEN` (the sandbox's own
random token, from the pod's Secret) must be set: every request but `GET /health` then needs it in
`X-Hutch-Agent-Token` (see server.TokenGate).

On a host, `HUTCH_AGENT_USERS` (a JSON object, for example `{"user": "hutch-agent-42"}`) names the
host accounts the spec's users stand for, since a host has no `user` account (see users.py). A
sandbox's agent is started without it.
"""

from __future__ import annotations

import json
import os
import socket
import sys

from .libc import make_undumpable
from .routes import Agent
from .sandbox_env import SandboxEnv
from .server import TokenGate, log, serve
from .users import use_accounts

USAGE = (
    "usage: python3 -m hutch_agent [--listen PATH | --listen-tcp HOST:PORT]"
    "   (or with HUTCH_AGENT_FD set to a listening socket)"
)


def _listener(argv: list[str]) -> socket.socket:
    if argv[:1] == ["--listen-tcp"] and len(argv) == 2:
        host, _, port = argv[1].rpartition(":")
        if not port.isdigit():
            raise SystemExit(USAGE)
        listener = socket.create_server((host.strip("[]") or "0.0.0.0", int(port)), backlog=128)
        return listener
    if argv[:1] == ["--listen"] and len(argv) == 2:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(argv[1]):
            os.unlink(argv[1])
        listener.bind(argv[1])
        listener.listen(128)
        return listener
    fd = os.environ.get("HUTCH_AGENT_FD")
    if argv or not fd:
        raise SystemExit(USAGE)
    listener = socket.socket(fileno=int(fd))
    listener.set_inheritable(False)  # no process we start may accept() the control plane's calls
    return listener


def _accounts() -> dict[str, str]:
    raw = os.environ.get("HUTCH_AGENT_USERS")
    accounts = json.loads(raw) if raw else {}
    if not isinstance(accounts, dict) or not all(isinstance(v, str) for v in accounts.values()):
        raise SystemExit(f"HUTCH_AGENT_USERS must be a JSON object of account names, not {raw!r}")
    return accounts


def main(argv: list[str]) -> None:
    listener = _listener(argv)
    use_accounts(_accounts())
    make_undumpable()
    sandbox_id = os.environ.get("HUTCH_SANDBOX_ID", "")
    agent = Agent(sandbox_id, SandboxEnv.from_environ(container=listener.family != socket.AF_UNIX))
    token = os.environ.get("HUTCH_AGENT_TOKEN", "")
    if listener.family != socket.AF_UNIX and len(token) < 16:
        raise SystemExit("a TCP listener needs HUTCH_AGENT_TOKEN (16 characters or more)")
    for name in ("HUTCH_AGENT_FD", "HUTCH_ENVS_JSON", "HUTCH_AGENT_USERS", "HUTCH_AGENT_TOKEN"):
        os.environ.pop(name, None)
    log(f"serving sandbox {sandbox_id or '(none)'} on {listener.getsockname() or 'fd'}")
    serve(listener, TokenGate(agent, token) if token else agent)


if __name__ == "__main__":
    main(sys.argv[1:])
