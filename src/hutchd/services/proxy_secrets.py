"""Secrets at the egress proxy, the server's side: a create's `secrets` to placeholders in the
sandbox's environment, and, once it runs, the values to its decrypting proxy and that proxy's CA to
the sandbox's trust stores. The values are never stored in the database nor returned."""

from __future__ import annotations

from typing import Any

from hutchd.agentconn import AgentClients
from hutchd.backend import Backend
from hutchd.http.errors import unprocessable
from hutchd.runtime.mitm import Secret

CA_FILE = "/usr/local/share/ca-certificates/hutch-egress-proxy.crt"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# What finds the CA beyond the system bundle: node's extra CAs, requests' and OpenSSL's bundle.
CA_ENVS = {"NODE_EXTRA_CA_CERTS": CA_FILE, "REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE, "SSL_CERT_FILE": SYSTEM_BUNDLE}


def parse(body: dict[str, Any], *, secure: bool, internet: bool) -> dict[str, Secret]:
    """A create's `secrets` (already checked against the spec's schema), each with a new placeholder."""
    raw = body.get("secrets") or {}
    if raw and not (secure and internet):
        raise unprocessable("secrets need secure=true and internet access: they live in the sandbox's egress proxy")
    return {
        name: Secret.new(name, s["value"], tuple(sorted({h.lower().rstrip(".") for h in s["hosts"]})))
        for name, s in raw.items()
    }


def envs(secrets: dict[str, Secret]) -> dict[str, str]:
    """What the sandbox's environment gets: each secret's placeholder, and where its proxy's CA is."""
    if not secrets:
        return {}
    return {**CA_ENVS, **{name: s.placeholder for name, s in secrets.items()}}


async def install(backend: Backend, agents: AgentClients, sandbox_id: str, secrets: dict[str, Secret]) -> None:
    """Start the sandbox's decrypting proxy and make the sandbox trust its CA (the system bundle,
    which curl, git, OpenSSL and Debian's Python use, and the file `CA_ENVS` name), before anyone can
    run code in it. Written through the agent, inside the sandbox."""
    ca = await backend.set_secrets(sandbox_id, secrets)
    if ca is None:
        return
    await agents.file(sandbox_id, "writeFile", CA_FILE, ca)
    bundle = await agents.file(sandbox_id, "readFile", SYSTEM_BUNDLE)
    await agents.file(sandbox_id, "writeFile", SYSTEM_BUNDLE, bundle.rstrip(b"\n") + b"\n" + ca)
