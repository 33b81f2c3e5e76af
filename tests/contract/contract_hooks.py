"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS) for the contract run.

Agent operations, and control-plane operations that need a live sandbox, are pointed at a real
sandbox (made with autoResume, so a fuzzed pause does not turn every later call into 409). What a
case creates (sandboxes, snapshots) is removed right after it, so the run stays bounded.
"""

from __future__ import annotations

import os

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
}

KEEP_CREATED = 8  # sandboxes a case created stay this long (the stateful phase uses them next)

_http = httpx.Client(base_url=BASE_URL, headers={"X-API-Key": API_KEY}, timeout=120)
_live: dict[str, str] = {}
_created: list[str] = []


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
    if not _live.get("snapshot"):
        # one snapshot, so restoreSandbox has something to restore
        _http.post(f"/sandboxes/{_live['id']}/snapshots", json={}).raise_for_status()
        _live["snapshot"] = "yes"
    return _live["id"]


def _operation_id(context) -> str:
    return str(context.operation.definition.raw.get("operationId", ""))


@schemathesis.hook
def before_call(context, case, kwargs):
    op = context.operation.definition.raw
    uses_live = set(op.get("tags", [])) & LIVE_SANDBOX_TAGS or _operation_id(context) in LIVE_SANDBOX_OPERATIONS
    if uses_live and "sandboxID" in (case.path_parameters or {}):
        sid = str(case.path_parameters["sandboxID"])
        # keep deliberately malformed IDs (negative cases) as they are
        if 1 <= len(sid) <= 128:
            case.path_parameters["sandboxID"] = live_sandbox()


@schemathesis.hook
def after_call(context, case, response):
    if response.status_code != 201:
        return
    try:
        body = response.json()
    except ValueError:
        return
    op = _operation_id(context)
    if op in ("createSandbox", "restoreSandbox") and isinstance(body, dict) and "sandboxID" in body:
        if body["sandboxID"] != _live.get("id") and body["sandboxID"] not in _created:
            _created.append(body["sandboxID"])
        while len(_created) > KEEP_CREATED:
            _http.delete(f"/sandboxes/{_created.pop(0)}")
    elif op == "createSnapshot" and isinstance(body, dict) and "snapshotID" in body:
        _http.delete(f"/snapshots/{body['snapshotID']}")
