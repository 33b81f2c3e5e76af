"""mitmproxy addon of a sandbox's decrypting proxy (loaded by `mitmdump -s`, runs under mitmproxy's
own Python, so it needs nothing but the standard library and mitmproxy's addon API).

Secrets: `$HUTCH_SECRETS` maps each placeholder the sandbox sees to `{"value", "hosts"}`; it is read
again whenever it changes (a live update). A placeholder in a request header becomes the value only
when both the TLS SNI and the Host header name one of the secret's hosts (`*.domain` matches the names
below it); anywhere else it stays the placeholder. The value in a response's headers, or in a
response body mitmproxy holds (up to `stream_large_bodies`; decoded first), goes back to the
placeholder, so a server that echoes the request cannot hand it to the sandbox. Nothing here logs a
value.

Inspection: `$HUTCH_POLICY` holds the body-reading parts of the security policy (`pii`,
`transformations`, `injection`, each optional), read again whenever it changes; the work itself is
inspection.py's. Requests: transformations, then PII (redact into this process's tokens, block with
403, or only record), then the injection score. Responses: the injection score, transformations,
then the tokens back to their values when `pii` says `rehydrate`. With `env_masking`, the values
in `$HUTCH_MASKED` (value -> variable name) become `[MASKED:NAME]` in every request's headers, path
and body, before anything else reads them. While `$HUTCH_AUDIT_ON` exists,
each request gets an audit entry (method, host, path without its query, status, bytes, what the
policy found: never a body) written to the audit log's descriptor `$HUTCH_AUDIT_FD`.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import re
import secrets
import sys
import urllib.parse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hutchd.runtime import inspection
else:  # mitmproxy's Python has no hutchd: the module beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import inspection


def _host(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value.startswith("["):
        return value
    return value.rsplit(":", 1)[0].rstrip(".") if ":" in value else value.rstrip(".")


class _JsonFile:
    """A JSON object in a file, read again when the file changes ({} while there is none)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stamp: tuple[int, int] | None = None
        self.table: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        try:
            st = os.stat(self.path)
        except OSError:
            self.table, self.stamp = {}, None
            return self.table
        if (st.st_mtime_ns, st.st_size) != self.stamp:
            with open(self.path) as f:
                self.table = json.load(f)
            self.stamp = (st.st_mtime_ns, st.st_size)
        return self.table


class Secrets(_JsonFile):
    def __init__(self) -> None:
        super().__init__(os.environ["HUTCH_SECRETS"])

    def requestheaders(self, flow: Any) -> None:
        table = self._load()
        sni = _host(flow.client_conn.sni)
        host = _host(flow.request.host_header)
        swaps = [(p, s["value"]) for p, s in table.items() if inspection.host_matches(sni, s["hosts"]) and host == sni]
        if not swaps:
            return
        _swap_headers(flow.request.headers, swaps)

    def responseheaders(self, flow: Any) -> None:
        _swap_headers(flow.response.headers, [(s["value"], p) for p, s in self._load().items()])

    def response(self, flow: Any) -> None:
        if flow.response.stream:
            return  # streamed (over stream_large_bodies): never held here
        body = flow.response.get_content(strict=False) or b""  # decoded (gzip, br, ...)
        redacted = body
        for value, ph in ((s["value"].encode(), p.encode()) for p, s in self._load().items()):
            redacted = redacted.replace(value, ph)
        if redacted != body:
            flow.response.set_content(redacted)  # encoded again, Content-Length updated


def _swap_headers(headers: Any, pairs: list[tuple[str, str]]) -> None:
    for name in list(headers.keys()):
        values = headers.get_all(name)
        new = [_swap(v, pairs) for v in values]
        if new != values:
            headers.set_all(name, new)


def _swap(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _swap_counted(text: str, pairs: list[tuple[str, str]]) -> tuple[str, int]:
    count = 0
    for old, new in pairs:
        if old in text:
            count += text.count(old)
            text = text.replace(old, new)
    return text, count


class Inspector(_JsonFile):
    def __init__(self) -> None:
        super().__init__(os.environ["HUTCH_POLICY"])
        self.vault = inspection.Vault(secrets.token_bytes(32))
        self.rules: list[inspection.Rule] = []
        self.rules_of: object = None
        self.masked = _JsonFile(os.environ["HUTCH_MASKED"])
        self.masks: list[tuple[str, str]] = []
        self.masks_of: object = None

    def _masks(self, policy: dict[str, Any]) -> list[tuple[str, str]]:
        """env_masking's (value, token) pairs, longest value first, with each value's URL-quoted
        form too; none while the policy has no env_masking."""
        if not policy.get("env_masking"):
            return []
        table = self.masked._load()
        if table is not self.masks_of:
            self.masks_of = table
            pairs = {(v, f"[MASKED:{n}]") for v, n in table.items()}
            pairs |= {(urllib.parse.quote(v, safe=""), f"[MASKED:{n}]") for v, n in table.items()}
            self.masks = sorted(pairs, key=lambda p: -len(p[0]))
        return self.masks

    def requestheaders(self, flow: Any) -> None:
        masks = self._masks(self._policy()[0])
        if not masks:
            return
        req = flow.request
        count = 0
        for name in list(req.headers.keys()):
            values = req.headers.get_all(name)
            new = [_swap_counted(v, masks) for v in values]
            if any(n for _, n in new):
                req.headers.set_all(name, [v for v, _ in new])
                count += sum(n for _, n in new)
        path, n = _swap_counted(req.path, masks)
        if n:
            req.path, count = path, count + n
        flow.metadata["hutch_masked"] = count

    def _policy(self) -> tuple[dict[str, Any], list[inspection.Rule]]:
        policy = self._load()
        raw = policy.get("transformations") or []
        if raw is not self.rules_of:  # compiled once per version of the file
            self.rules_of = raw
            self.rules = [
                inspection.Rule(re.compile(r["pattern"]), r["replacement"], r["direction"], tuple(r["domains"]))
                for r in raw
            ]
        return policy, self.rules

    def request(self, flow: Any) -> None:
        policy, rules = self._policy()
        host = _host(flow.request.host_header) or _host(flow.client_conn.sni)
        pii, injection = _here(policy, "pii", host), _here(policy, "injection", host)
        findings: list[dict[str, Any]] = []
        flow.metadata["hutch"] = {"findings": findings, "reason": None}
        masks = self._masks(policy)
        masked = flow.metadata.get("hutch_masked", 0)
        text = _text(flow.request)
        if text is None and (masks or any(p is not None and p["action"] != "log_only" for p in (pii, injection))):
            _refuse(flow, "the request's body is too large to inspect")
            return
        if text is not None:
            before = text
            text, n = _swap_counted(text, masks)
            masked += n
            if masked:
                findings.append({"policy": "env_masking", "direction": "request", "count": masked})
            text, n = inspection.transform(text, rules, "request", host)
            if n:
                findings.append({"policy": "transformations", "direction": "request", "count": n})
            if pii is not None and pii.get("requests", True):
                text, refused = self._pii(flow, text, pii, "request")
                if refused:
                    return
            if injection is not None and _injection(flow, text, injection, "request"):
                return
            if text != before:
                flow.request.set_content(text.encode("utf-8", "surrogateescape"))

    def _pii(self, flow: Any, text: str, pii: dict[str, Any], direction: str) -> tuple[str, bool]:
        """PII in a body going one way: recorded, then redacted, or refused (True) under `block`."""
        found = inspection.find_pii(text, pii["types"])
        for kind in sorted({f.type for f in found}):
            count = sum(f.type == kind for f in found)
            flow.metadata["hutch"]["findings"].append(
                {"policy": "pii", "type": kind, "action": pii["action"], "direction": direction, "count": count}
            )
        if found and pii["action"] == "block":
            kinds = ", ".join(sorted({f.type for f in found}))
            _refuse(flow, f"the {direction} carries PII ({kinds})")
            return text, True
        if found and pii["action"] == "redact":
            text = self.vault.redact(text, found, remember=direction == "request")
        return text, False

    def response(self, flow: Any) -> None:
        policy, rules = self._policy()
        host = _host(flow.request.host_header) or _host(flow.client_conn.sni)
        pii, injection = policy.get("pii"), _here(policy, "injection", host)
        scan = _here(policy, "pii", host)
        meta = flow.metadata.setdefault("hutch", {"findings": [], "reason": None})
        text = None if meta["reason"] else _text(flow.response)
        if text is not None and injection is not None and _injection(flow, text, injection, "response"):
            text = None
        if text is not None:
            before = text
            text, n = inspection.transform(text, rules, "response", host)
            if n:
                meta["findings"].append({"policy": "transformations", "direction": "response", "count": n})
            refused = False
            if scan is not None and scan.get("responses"):  # before rehydration: the server's PII, not ours
                text, refused = self._pii(flow, text, scan, "response")
            if pii and pii["rehydrate"] and not refused:
                text = self.vault.rehydrate(text)
            if text != before and not refused:
                flow.response.set_content(text.encode("utf-8", "surrogateescape"))
        _audit(flow, meta)

    def error(self, flow: Any) -> None:
        _audit(flow, flow.metadata.get("hutch", {"findings": [], "reason": None}))


def _refuse(flow: Any, why: str) -> None:
    """Answer 403 with the reason in place of the request (or of the response that came)."""
    reason = f"blocked by the sandbox's security policy: {why}"
    flow.metadata["hutch"]["reason"] = reason
    flow.response = _http().Response.make(403, reason + "\n", {"Content-Type": "text/plain"})


def _here(policy: dict[str, Any], part: str, host: str) -> dict[str, Any] | None:
    """A part of the policy if it applies to this host."""
    found = policy.get(part)
    if found is None or (found["domains"] and not inspection.host_matches(host, found["domains"])):
        return None
    return dict(found)


def _injection(flow: Any, text: str, injection: dict[str, Any], direction: str) -> bool:
    """Score `text`; record a score at or over the threshold, and with `block` refuse (True)."""
    score = inspection.injection_score(text)
    if score < injection["threshold"]:
        return False
    action = injection["action"]
    flow.metadata["hutch"]["findings"].append(
        {"policy": "injection_defense", "direction": direction, "action": action, "score": score, "count": 1}
    )
    if action != "block":
        return False
    _refuse(flow, f"the {direction} looks like a prompt injection (score {score:.2f})")
    return True


def _http() -> Any:
    return importlib.import_module("mitmproxy.http")  # mitmproxy's own Python has it, the server's not


def _text(message: Any) -> str | None:
    """A held body as text (decoded; bytes that are not UTF-8 kept as they are); None when streamed."""
    if message.stream:
        return None
    return (message.get_content(strict=False) or b"").decode("utf-8", "surrogateescape")


def _audit(flow: Any, meta: dict[str, Any]) -> None:
    if not os.path.exists(os.environ["HUTCH_AUDIT_ON"]):
        return
    req, resp = flow.request, flow.response
    address, port = flow.server_conn.peername or (req.host, req.port)
    entry = {
        "time": datetime.datetime.fromtimestamp(req.timestamp_start, datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "host": _host(req.host_header) or None, "address": address, "port": port,
        "protocol": req.scheme, "decision": "refused" if meta["reason"] else "allowed",
        "reason": meta["reason"], "decrypted": True,
        "bytesOut": len(req.raw_content or b""), "bytesIn": len(resp.raw_content or b"") if resp else 0,
        "method": req.method, "path": req.path.split("?", 1)[0][:2048],
        "status": resp.status_code if resp else None, "findings": meta["findings"],
    }  # fmt: skip
    os.write(int(os.environ["HUTCH_AUDIT_FD"]), (json.dumps(entry, separators=(",", ":")) + "\n").encode())


addons = [Secrets(), Inspector()]
