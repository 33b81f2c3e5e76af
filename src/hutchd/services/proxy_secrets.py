"""Secrets at the egress proxy, the server's side: a create's `secrets` to placeholders in the
sandbox's environment, and, once it runs, the values to its decrypting proxy and that proxy's CA to
the sandbox's trust stores. The values are never stored in the database nor returned."""

from __future__ import annotations

from typing import Any

from hutchd.agentconn import AgentClients
from hutchd.backend import Backend
from hutchd.http.errors import unprocessable
from hutchd.runtime.mitm import Secret
from hutchd.services import env_masking

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


def envs(secrets: dict[str, Secret], *, decrypting: bool) -> dict[str, str]:
    """What the sandbox's environment gets: each secret's placeholder, and where its proxy's CA is
    when it has one (secrets, or a policy that reads bodies)."""
    if not secrets and not decrypting:
        return {}
    return {**CA_ENVS, **{name: s.placeholder for name, s in secrets.items()}}


async def install(
    backend: Backend,
    agents: AgentClients,
    sandbox_id: str,
    secrets: dict[str, Secret] | None,
    inspect: dict[str, Any],
    *,
    live: bool = False,
) -> dict[str, str]:
    """Start (or stop) the sandbox's decrypting proxy with these secrets (None: the ones it has) and
    body-reading policy, and make the sandbox trust its CA (the system bundle, which curl, git,
    OpenSSL and Debian's Python use, and the file `CA_ENVS` name), at create before anyone can run
    code in it. Written through the agent, inside the sandbox. With `live` (a running sandbox's
    first CA), the sandbox-wide environment gets `CA_ENVS` too, for the commands started from now
    on; returns what it added. The values of env_masking's variables go to the proxy."""
    ca = await backend.set_secrets(sandbox_id, secrets, inspect)
    if ca is None:
        return {}
    added: dict[str, str] = {}
    await agents.file(sandbox_id, "writeFile", CA_FILE, ca)
    bundle = await agents.file(sandbox_id, "readFile", SYSTEM_BUNDLE)
    if ca.strip() not in bundle:  # (a live update keeps the CA it has)
        await agents.file(sandbox_id, "writeFile", SYSTEM_BUNDLE, bundle.rstrip(b"\n") + b"\n" + ca)
        if live:
            await agents.update_envs(sandbox_id, CA_ENVS)
            added = dict(CA_ENVS)
    if masking := inspect.get("env_masking"):
        values = env_masking.traffic_values(await agents.envs(sandbox_id), masking["patterns"])
        await backend.add_masked(sandbox_id, values)
    return added
