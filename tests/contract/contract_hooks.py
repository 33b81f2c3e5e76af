"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS) for the contract run.

Agent operations, and control-plane operations that need a live sandbox, are pointed at a real
sandbox (made with autoResume, so a fuzzed pause does not turn every later call into 409) when the
case names a sandbox this run never made; a sandbox a link carries (the stateful phase) is kept.
What cases create (sandboxes, snapshots) is removed once newer ones replace it, so the run stays
bounded while the stateful phase can still use what its scenario just made.

`filter_failure` drops a failure only where the check's premise is shown false for that very case:
- ST202 (schema-valid input refused) for exactly two rules the spec states in prose because JSON
  Schema cannot express them: an allowOut entry wholly inside a never-reachable range (confirmed
  with Python's `ipaddress`, not the server's list) and a path component over 255 bytes;
- ST302 (a resource a linked call made answers 404) where the API shows the 404 is true and about
  something else: the sandbox or process ended on its own, or the body named what does not exist;
- ST101 (a 5xx) for a 507 of disk admission, where the size asked for (a volume's sizeMB, a sandbox's
  diskMB) is more than the most the answer says this host can promise now.
Every other failure of every check fails the run.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any

import httpx
import schemathesis

BASE_URL = os.environ["HUTCH_CONTRACT_BASE_URL"]
API_KEY = os.environ["HUTCH_CONTRACT_API_KEY"]
LIVE_SANDBOX_TAGS = {"commands", "files", "pty", "code", "env"}
LIVE_SANDBOX_OPERATIONS = {
    "getSandbox",
    "getSandboxMetrics",
    "listSandboxSnapshots",
    "pauseSandbox",
    "resumeSandbox",
    "connectSandbox",
    "createSnapshot",
    "setSandboxTimeout",
    "restoreSandbox",
    "updateSandboxNetwork",
}

KEEP_CREATED = 8  # sandboxes (snapshots, volumes) cases made stay until this many newer ones exist

_http = httpx.Client(base_url=BASE_URL, headers={"X-API-Key": API_KEY}, timeout=120)
_live: dict[str, str] = {}
_known: set[str] = set()  # every sandbox ID this run made: links carry these, and they are kept
_created: dict[str, list[str]] = {"sandboxes": [], "snapshots": [], "volumes": []}


def live_sandbox() -> str:
    """The contract sandbox, made again whenever a case ended it (a fuzzed timeout, say)."""
    sid = _live.get("id")
    if sid:
        r = _http.get(f"/sandboxes/{sid}")
        if r.status_code == 200 and r.json()["state"] in ("running", "paused"):
            return sid
    body = {"timeout": 3600, "lifecycle": {"autoResume": True}, "metadata": {"suite": "contract"}}
    r = _http.post("/sandboxes", json=body)
    r.raise_for_status()
    _live["id"] = r.json()["sandboxID"]
    _known.add(_live["id"])
    if not _live.get("snapshot"):
        # one snapshot, so restoreSandbox has something to restore
        _http.post(f"/sandboxes/{_live['id']}/snapshots", json={}).raise_for_status()
        _live["snapshot"] = "yes"
    return _live["id"]


def _operation_id(context: Any) -> str:
    return str(context.operation.definition.raw.get("operationId", ""))


@schemathesis.hook
def before_call(context, case, kwargs):
    # The run authenticates with the API key. An X-Access-Token the generator makes up for the
    # alternative scheme is never a sandbox's token, and a wrong token is refused even beside a good
    # key, so every such case would only test that refusal (tests/integration/server/test_secure.py
    # covers tokens, right and wrong).
    if case.headers:
        case.headers.pop("X-Access-Token", None)
    op = context.operation.definition.raw
    uses_live = set(op.get("tags", [])) & LIVE_SANDBOX_TAGS or _operation_id(context) in LIVE_SANDBOX_OPERATIONS
    if uses_live and "sandboxID" in (case.path_parameters or {}):
        sid = str(case.path_parameters["sandboxID"])
        # keep deliberately malformed IDs (negative cases) and the sandboxes links carry as they are
        if 1 <= len(sid) <= 128 and sid not in _known:
            case.path_parameters["sandboxID"] = live_sandbox()


def _remember(kind: str, ident: str) -> None:
    created = _created[kind]
    created.append(ident)
    while len(created) > KEEP_CREATED:
        _http.delete(f"/{kind}/{created.pop(0)}", params={"force": "true"} if kind == "volumes" else None)


@schemathesis.hook
def after_call(context, case, response):
    if response.status_code != 201:
        return
    try:
        body = response.json()
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    op = _operation_id(context)
    if op in ("createSandbox", "restoreSandbox") and "sandboxID" in body and body["sandboxID"] not in _known:
        _known.add(body["sandboxID"])
        _remember("sandboxes", body["sandboxID"])
    elif op == "createSnapshot" and "snapshotID" in body:
        _remember("snapshots", body["snapshotID"])
    elif op == "createVolume" and "volumeID" in body:
        _remember("volumes", body["volumeID"])


# ---------------------------------------------------------------- refusals the schema cannot express

_UNREACHABLE = re.compile(r"'(?P<entry>[^']+)' lies in (?P<range>\S+) \(.*\), which sandboxes can never reach")
_NAME_TOO_LONG = "file name too long"
NAME_MAX = 255  # bytes in one path component (Linux)


def _never_reachable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified


def _refused_unreachable_entry(body: Any, message: str) -> bool:
    """A network entry the spec says is refused (NetworkEntry): one lying wholly inside a range
    sandboxes can never reach. Confirmed with Python's own address classes, not the server's list."""
    match = _UNREACHABLE.search(message)
    if match is None or not isinstance(body, dict):
        return False
    try:
        entry = ipaddress.ip_network(match["entry"], strict=False)
    except ValueError:
        return False
    sent = [*(body.get("network") or {}).get("allowOut", []), *body.get("allowOut", [])]
    if entry not in [_network(item) for item in sent]:  # the message names the entry normalised
        return False
    return _never_reachable(entry[0]) and _never_reachable(entry[-1])


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None  # a domain name


def _paths_of(case: Any) -> list[str]:
    paths = [str(v) for k, v in (case.query or {}).items() if k == "path"]
    if isinstance(case.body, dict):
        paths += [str(case.body[k]) for k in ("path", "source", "destination") if isinstance(case.body.get(k), str)]
    return paths


def _refused_long_name(case: Any, message: str) -> bool:
    """A path with a component over NAME_MAX bytes (the spec's `path` parameter and bodies say so)."""
    if not message.startswith(_NAME_TOO_LONG):
        return False
    return any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for p in _paths_of(case) for part in p.split("/"))


# ---------------------------------------------------------------- 404s that are not about what a link carried


def _not_about_the_linked_resource(case: Any, message: str) -> bool:
    """Whether a 404 after a link is true and about something else than a resource that should still
    be there, asked of the API: the sandbox ended (a fuzzed `timeout` of 1 s), the process ended (a
    command of `0` exits at once; the spec answers 404 for a command that no longer runs), the
    sandbox has no snapshot to restore (or not the one the body names), the code context the body
    names does not exist, or the message names another value of the body (a `cwd` that does not exist)."""
    params = case.path_parameters or {}
    sid = params.get("sandboxID")
    r = _http.get(f"/sandboxes/{sid}")
    if r.status_code == 404 or r.json().get("state") != "running":
        return True
    body = case.body if isinstance(case.body, dict) else {}
    if "pid" in params:
        running = {str(p["pid"]) for p in _http.get(f"/sandboxes/{sid}/commands").json() if p["running"]}
        return str(params["pid"]) not in running
    if case.operation.definition.raw.get("operationId") == "restoreSandbox":
        snapshots = {s["snapshotID"] for s in _http.get(f"/sandboxes/{sid}/snapshots").json()}
        return not snapshots or body.get("snapshotID", next(iter(snapshots))) not in snapshots
    context = params.get("contextID") or body.get("contextID")
    if context is not None:
        return context not in {c["contextID"] for c in _http.get(f"/sandboxes/{sid}/code/contexts").json()}
    return any(isinstance(v, str) and v and v in message for v in body.values())


# DELETE of a command or a terminal kills it and keeps its record (schemathesis.toml says why); the
# per-operation switch there covers the fuzzing phase, this the stateful phase's use-after-free check.
KEPT_AFTER_DELETE = {"getCommand", "streamCommandOutput", "streamPtyOutput"}
_NEEDS_PROXY = re.compile(r"need(s)? secure=true and internet access")
_ALL = {"0.0.0.0/0", "::/0"}


def _operation_id_of(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def _refused_proxy_without_secure(body: Any, message: str) -> bool:
    """A create that asks for what lives in the egress proxy (secrets, security.*) without one: the
    body says secure is not true, or no internet (allowInternetAccess false without `network`, or a
    `network` with no allowOut entry whose denyOut refuses all of IPv4 and IPv6)."""
    if not _NEEDS_PROXY.search(message) or not isinstance(body, dict):
        return False
    if body.get("secure") is not True:
        return True
    network = body.get("network")
    if not isinstance(network, dict):
        return body.get("allowInternetAccess") is False
    allow, deny = network.get("allowOut"), network.get("denyOut") or []
    return not allow and {str(d) for d in deny} >= _ALL


_TRANSFORMATION = re.compile(r"^security\.transformations\[(\d+)\] (needs one regex|is not a valid regex)")


def _refused_transformation(body: Any, message: str) -> bool:
    """A transformation rule the spec's prose refuses (TransformationRule: one of each spelling): the
    rule the message names has both or neither of `match`/`pattern`, both `replace` and `replacement`,
    or a regex and replacement Python's `re` itself rejects."""
    m = _TRANSFORMATION.match(message)
    security = body.get("security") if isinstance(body, dict) and "security" in body else body
    rules = security.get("transformations") if isinstance(security, dict) else None
    if m is None or not isinstance(rules, list) or int(m.group(1)) >= len(rules):
        return False
    rule = rules[int(m.group(1))]
    patterns = [rule[k] for k in ("match", "pattern") if k in rule]
    replacements = [rule[k] for k in ("replace", "replacement") if k in rule]
    if len(patterns) != 1 or len(replacements) > 1:
        return True
    try:
        re.compile(patterns[0]).sub(replacements[0] if replacements else "", "")
    except (re.error, RecursionError, OverflowError):
        return True
    return False


def _refused_two_spellings(body: Any, message: str) -> bool:
    """`env_masking` and `env` together (EnvMaskingPolicy: two names of one part, give one)."""
    security = body.get("security") if isinstance(body, dict) and "security" in body else body
    both = isinstance(security, dict) and "env_masking" in security and "env" in security
    return both and message.startswith("security.env_masking and security.env are two names")


_DISK_REFUSAL = re.compile(
    r"^(?:sizeMB|diskMB) (\d+) (?:cannot be promised now|is more than this host can hold): .* ask for at most (\d+) MB"
)


def _refused_disk(case: Any, response: Any) -> bool:
    """A 507 of disk admission (documented): what the refusal says was asked for is more than the most
    it says the host can promise now, and is what the case asked for where the body names it (a
    volume's sizeMB, a sandbox's diskMB). Where it does not (the spec's x-default size of a volume, a
    fork's count times its source's disk), the figure is the server's."""
    m = _DISK_REFUSAL.search(_message(response))
    if response.status_code != 507 or m is None:
        return False
    asked, at_most = int(m.group(1)), int(m.group(2))
    body = case.body if isinstance(case.body, dict) else {}
    resources = body.get("resources")
    size = body.get("sizeMB", resources.get("diskMB") if isinstance(resources, dict) else None)
    sized = isinstance(size, int | float) and not isinstance(size, bool)  # JSON's 5.0 is an integer too
    return asked > at_most and (not sized or size == asked)


def _refused_one_path_twice(body: Any, message: str) -> bool:
    """createSandbox's volumeMounts with two entries at one path (the spec's prose: one volume a path)."""
    m = re.match(r"^two volumes are mounted at (.*)$", message)
    mounts = body.get("volumeMounts") if isinstance(body, dict) else None
    if m is None or not isinstance(mounts, list):
        return False
    return sum(isinstance(x, dict) and x.get("path") == m.group(1) for x in mounts) >= 2


_PATTERN_REFUSAL = re.compile(r"^path parameter '(?P<name>\w+)' .* does not match (?P<pattern>.+)$", re.S)


def _not_matching_its_pattern(case: Any, message: str) -> bool:
    """A path parameter refused for its pattern whose value, as sent, does not match it (Python's re):
    the case was not schema-valid (a value ending in '=' for an env name whose pattern excludes '=')."""
    m = _PATTERN_REFUSAL.match(message)
    params = case.path_parameters or {}
    if m is None or m["name"] not in params:
        return False
    return re.search(m["pattern"], str(params[m["name"]])) is None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops the failure (see the module's docstring for which, and why)."""
    code = getattr(failure, "code", None)
    if code == "ST101" and _refused_disk(case, response):  # ST101: server error (5xx)
        return False
    if code == "ST301" and _operation_id_of(case) in KEPT_AFTER_DELETE:  # ST301: deleted resource still there
        return False
    if code == "ST302":  # created resource not found
        return not _not_about_the_linked_resource(case, _message(response))
    if code == "ST202" and response.status_code == 400 and _not_matching_its_pattern(case, _message(response)):
        return False
    if code != "ST202" or response.status_code != 422:  # ST202: schema-valid request rejected
        return True
    message = _message(response)
    return not (
        _refused_unreachable_entry(case.body, message)
        or _refused_long_name(case, message)
        or _refused_proxy_without_secure(case.body, message)
        or _refused_transformation(case.body, message)
        or _refused_two_spellings(case.body, message)
        or _refused_one_path_twice(case.body, message)
    )


def _message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""
