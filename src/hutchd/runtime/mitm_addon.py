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


HOLD = 1 << 20
"""A body up to this is held whole (a refusal answers 403 in its place); longer ones, and those of
unknown length, are read as they pass (`_Streamed`)."""
STREAM_LIMIT = 64 << 20
"""Bytes of one streamed body the policy reads at most: past them a body it must read is cut, others pass."""
WINDOW = 256 << 10  # text worked on per step of a streamed body
OVERLAP = 16 << 10  # kept back from each step, so that no match is cut in two (one longer than this can be)


class Inspector(_JsonFile):
    def __init__(self, secrets_addon: Secrets) -> None:
        super().__init__(os.environ["HUTCH_POLICY"])
        self.secrets = secrets_addon
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

    def _work(self, flow: Any, direction: str) -> dict[str, Any]:
        """What the policy does to this flow's bodies going `direction` (each part, when it applies)."""
        policy, rules = self._policy()
        host = _host(flow.request.host_header) or _host(flow.client_conn.sni)
        pii, injection = _here(policy, "pii", host), _here(policy, "injection", host)
        work: dict[str, Any] = {
            "host": host,
            "rules": [r for r in rules if r.applies(direction, host)],
            "injection": injection,
            "pii": pii if pii is not None and pii.get("requests" if direction == "request" else "responses") else None,
        }
        if direction == "request":
            work["masks"] = self._masks(policy)
        else:
            rehydrating = policy.get("pii")
            work["rehydrate"] = bool(rehydrating and rehydrating["rehydrate"])
            streamed = flow.metadata.get("hutch_streamed")  # (held ones are the Secrets addon's)
            work["secrets"] = [(v["value"], ph) for ph, v in self.secrets._load().items()] if streamed else []
        return work

    @staticmethod
    def _must_read(work: dict[str, Any]) -> bool:
        """Whether a body this policy cannot read must be refused (it would change or block it)."""
        blocking = [p for p in (work["pii"], work["injection"]) if p is not None and p["action"] != "log_only"]
        return bool(blocking or work["rules"] or work.get("masks"))

    def _process(self, flow: Any, text: str, direction: str, work: dict[str, Any]) -> tuple[str, str | None]:
        """The policy's work on a body (or a window of one) going `direction`: the new text, and why
        to refuse it (None: go on). Requests: env_masking, transformations, PII, injection score;
        responses: injection score, transformations, PII, rehydration (and, streamed, the secrets)."""
        findings = flow.metadata["hutch"]["findings"]
        if work.get("masks"):
            text, n = _swap_counted(text, work["masks"])
            if n:
                findings.append({"policy": "env_masking", "direction": direction, "count": n})
        if direction == "response" and work["injection"] is not None:
            refusal = _injection(flow, text, work["injection"], direction)
            if refusal:
                return text, refusal
        text, n = inspection.transform(text, work["rules"], direction, work["host"])
        if n:
            findings.append({"policy": "transformations", "direction": direction, "count": n})
        if work["pii"] is not None:
            text, refusal = self._pii(flow, text, work["pii"], direction)
            if refusal:
                return text, refusal
        if direction == "request" and work["injection"] is not None:
            refusal = _injection(flow, text, work["injection"], direction)
            if refusal:
                return text, refusal
        if work.get("rehydrate"):
            text = self.vault.rehydrate(text)
        if work.get("secrets"):
            text = _swap(text, work["secrets"])
        return text, None

    def _pii(self, flow: Any, text: str, pii: dict[str, Any], direction: str) -> tuple[str, str | None]:
        """PII in a body going one way: recorded, then redacted, or refused under `block`."""
        found = inspection.find_pii(text, pii["types"])
        for kind in sorted({f.type for f in found}):
            count = sum(f.type == kind for f in found)
            flow.metadata["hutch"]["findings"].append(
                {"policy": "pii", "type": kind, "action": pii["action"], "direction": direction, "count": count}
            )
        if found and pii["action"] == "block":
            return text, f"the {direction} carries PII ({', '.join(sorted({f.type for f in found}))})"
        if found and pii["action"] == "redact":
            text = self.vault.redact(text, found, remember=direction == "request")
        return text, None

    def safe_cut(self, text: str, cut: int, work: dict[str, Any]) -> int:
        """`cut`, moved back before any match of the policy's patterns that it would split (matches
        longer than OVERLAP may still be)."""
        lo = max(0, cut - OVERLAP)
        region = text[lo : min(len(text), cut + OVERLAP)]
        spans: list[tuple[int, int]] = []
        for old, _ in [*(work.get("masks") or []), *(work.get("secrets") or [])]:
            at = region.find(old)
            while at != -1:
                spans.append((at, at + len(old)))
                at = region.find(old, at + 1)
        patterns = [r.pattern for r in work["rules"]]
        if work.get("rehydrate"):
            patterns.append(inspection.TOKEN)
        spans += [m.span() for p in patterns for m in p.finditer(region)]
        if work["pii"] is not None:
            spans += [(f.start, f.end) for f in inspection.find_pii(region, work["pii"]["types"])]
        for start, end in sorted(spans, reverse=True):
            if lo + start < cut < lo + end:
                cut = lo + start
        return cut

    def requestheaders(self, flow: Any) -> None:
        flow.metadata["hutch"] = {"findings": [], "reason": None}
        work = self._work(flow, "request")
        req = flow.request
        if masks := work["masks"]:
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
            if count:
                finding = {"policy": "env_masking", "direction": "request", "count": count}
                flow.metadata["hutch"]["findings"].append(finding)
        if _held(req.headers, request=True):
            return
        length = req.headers.get("content-length", "").strip()
        encoded = req.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        if (encoded or (length.isdigit() and int(length) > STREAM_LIMIT)) and self._must_read(work):
            why = "compressed" if encoded else f"over {STREAM_LIMIT >> 20} MiB"
            reason = f"blocked by the sandbox's security policy: the request's body is {why}: more than the proxy reads"
            flow.metadata["hutch"]["reason"] = reason
            flow.kill()  # before anything of it went
            return
        req.stream = _Streamed(self, flow, "request", work, req.headers) if _busy(work) else True

    def request(self, flow: Any) -> None:
        if flow.request.stream:
            return  # streamed: read (and refused) on the way
        work = self._work(flow, "request")
        if not _busy(work):
            return
        text = _text(flow.request)
        before = text
        text, refusal = self._process(flow, text, "request", work)
        if refusal:
            _refuse(flow, refusal)
        elif text != before:
            flow.request.set_content(text.encode("utf-8", "surrogateescape"))

    def responseheaders(self, flow: Any) -> None:
        meta = flow.metadata.setdefault("hutch", {"findings": [], "reason": None})
        if meta["reason"] or _held(flow.response.headers, request=False):
            return
        flow.metadata["hutch_streamed"] = True
        work = self._work(flow, "response")
        flow.response.stream = _Streamed(self, flow, "response", work, flow.response.headers) if _busy(work) else True

    def response(self, flow: Any) -> None:
        meta = flow.metadata.setdefault("hutch", {"findings": [], "reason": None})
        if isinstance(flow.response.stream, _Streamed):
            if meta["reason"] and flow.response.stream.refused:
                flow.kill()  # the status and part of the body went: the rest never does
        elif not meta["reason"] and _busy(work := self._work(flow, "response")):
            text = _text(flow.response)
            before = text
            text, refusal = self._process(flow, text, "response", work)
            if refusal:
                _refuse(flow, refusal)
            elif text != before:
                flow.response.set_content(text.encode("utf-8", "surrogateescape"))
        _audit(flow, meta)

    def error(self, flow: Any) -> None:
        _audit(flow, flow.metadata.get("hutch", {"findings": [], "reason": None}))


class _Streamed:
    """A body over HOLD bytes (or of unknown length), read as it passes: in windows of about
    WINDOW bytes, each cut where no match of the policy's patterns is split, up to STREAM_LIMIT
    bytes. A refusal cuts the stream (the start went already, never the end); past the limit a body
    the policy must read is cut too, any other passes unread."""

    def __init__(self, inspector: Inspector, flow: Any, direction: str, work: dict[str, Any], headers: Any) -> None:
        self.inspector, self.flow, self.direction, self.work = inspector, flow, direction, work
        self.encoded = headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        redacts = work.get("pii") is not None and work["pii"]["action"] == "redact"
        if "content-length" in headers and (
            redacts or any(work.get(k) for k in ("masks", "rules", "rehydrate", "secrets"))
        ):
            del headers["content-length"]  # what it reads may change its length: sent in chunks instead
            headers["transfer-encoding"] = "chunked"
            self.chunked = True
        self.pending = b""
        self.seen = 0
        self.refused = False
        self.aborted = False
        self.passing = False

    def __call__(self, data: bytes) -> list[bytes]:
        """What to send on for `data` (b"": the end); nothing while a window fills (an empty chunk
        would end a chunked body)."""
        out = self._next(data)
        if self.refused and self.direction == "request" and not self.aborted:
            self.aborted = True
            _abort(self.flow)
        return [out] if out else []

    def _next(self, data: bytes) -> bytes:
        if self.refused:
            return b""
        if self.passing:
            return data
        self.seen += len(data)
        if self.seen > STREAM_LIMIT or self.encoded:
            why = "compressed" if self.encoded else f"over {STREAM_LIMIT >> 20} MiB"
            if Inspector._must_read(self.work):
                return self._refuse(f"the {self.direction}'s body is {why}: more than the proxy reads")
            self.passing = True
            finding = {"policy": "inspection", "direction": self.direction, "unread": why}
            self.flow.metadata["hutch"]["findings"].append(finding)
            out, self.pending = self.pending + data, b""
            return out
        self.pending += data
        final = not data
        if not final and len(self.pending) < WINDOW + OVERLAP:
            return b""
        text = self.pending.decode("utf-8", "surrogateescape")
        cut = len(text) if final else self.inspector.safe_cut(text, len(text) - OVERLAP, self.work)
        head, refusal = self.inspector._process(self.flow, text[:cut], self.direction, self.work)
        if refusal:
            return self._refuse(refusal)
        self.pending = text[cut:].encode("utf-8", "surrogateescape")
        return head.encode("utf-8", "surrogateescape")

    def _refuse(self, why: str) -> bytes:
        self.refused = True
        self.pending = b""
        self.flow.metadata["hutch"]["reason"] = f"blocked by the sandbox's security policy: {why}"
        return b""


def _abort(flow: Any) -> None:
    """Close a flow's connections both ways at once: the end of a chunked request would otherwise
    still go and make what went before it a whole request (and one with a length would hang
    waiting for the rest). mitmproxy 8 cannot kill a flow in transit (its issue 4711), so this goes
    through the proxyserver addon's handler of the connection (Debian's 8.1.1; if that changes, the
    flow is only killed, which its response then ends)."""
    flow.kill()
    proxyserver = importlib.import_module("mitmproxy.ctx").master.addons.get("proxyserver")
    client = flow.client_conn
    handler = getattr(proxyserver, "_connections", {}).get(("tcp", client.peername, client.sockname))
    for conn in (flow.server_conn, client):
        if handler is not None and conn in getattr(handler, "transports", {}):
            handler.close_connection(conn)


def _busy(work: dict[str, Any]) -> bool:
    """Whether the policy has anything to do with a body (else it goes as it is, unread)."""
    return any(work.get(k) for k in ("rules", "injection", "pii", "masks", "rehydrate", "secrets"))


def _held(headers: Any, *, request: bool) -> bool:
    """Whether a body is held whole: a declared length up to HOLD (or, for a request, no body)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return False
    length = headers.get("content-length")
    if length is None:
        return request  # a request without either has no body; a response runs until the close
    return length.strip().isdigit() and int(length) <= HOLD


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


def _injection(flow: Any, text: str, injection: dict[str, Any], direction: str) -> str | None:
    """Score `text`; record a score at or over the threshold, and with `block` say why to refuse."""
    score = inspection.injection_score(text)
    if score < injection["threshold"]:
        return None
    action = injection["action"]
    flow.metadata["hutch"]["findings"].append(
        {"policy": "injection_defense", "direction": direction, "action": action, "score": score, "count": 1}
    )
    return f"the {direction} looks like a prompt injection (score {score:.2f})" if action == "block" else None


def _http() -> Any:
    return importlib.import_module("mitmproxy.http")  # mitmproxy's own Python has it, the server's not


def _text(message: Any) -> str:
    """A held body as text (decoded; bytes that are not UTF-8 kept as they are)."""
    return (message.get_content(strict=False) or b"").decode("utf-8", "surrogateescape")


def _merged(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding per kind: a streamed body's windows each report theirs (counts add up, the
    highest score stays)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in findings:
        key = tuple(sorted((k, v) for k, v in f.items() if k not in ("count", "score")))
        if key in out:
            out[key]["count"] = out[key].get("count", 0) + f.get("count", 0)
            if "score" in f:
                out[key]["score"] = max(out[key]["score"], f["score"])
        else:
            out[key] = dict(f)
    return list(out.values())


def _size(message: Any) -> int:
    return message.stream.seen if isinstance(message.stream, _Streamed) else len(message.raw_content or b"")


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
        "bytesOut": _size(req), "bytesIn": _size(resp) if resp else 0,
        "method": req.method, "path": req.path.split("?", 1)[0][:2048],
        "status": resp.status_code if resp else None, "findings": _merged(meta["findings"]),
    }  # fmt: skip
    os.write(int(os.environ["HUTCH_AUDIT_FD"]), (json.dumps(entry, separators=(",", ":")) + "\n").encode())


_secrets = Secrets()
addons = [_secrets, Inspector(_secrets)]
