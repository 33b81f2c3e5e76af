"""mitmproxy addon of a sandbox's decrypting proxy (loaded by `mitmdump -s`, runs under mitmproxy's
own Python, so it needs nothing but the standard library and mitmproxy's addon API).

Secrets: `$HUTCH_SECRETS` maps each placeholder the sandbox sees to `{"value", "hosts"}`; it is read
again whenever it changes (a live update). A placeholder in a request header becomes the value only
when both the TLS SNI and the Host header name one of the secret's hosts (`*.domain` matches the names
below it); anywhere else it stays the placeholder. The value in a response's headers, or in a
response body mitmproxy holds (up to `stream_large_bodies`; decoded first), goes back to the
placeholder, so a server that echoes the request cannot hand it to the sandbox. Nothing here logs a
value.
"""

from __future__ import annotations

import json
import os
from typing import Any


def _matches(name: str, hosts: list[str]) -> bool:
    return any(name == h or (h.startswith("*.") and name.endswith(h[1:])) for h in hosts)


def _host(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value.startswith("["):
        return value
    return value.rsplit(":", 1)[0].rstrip(".") if ":" in value else value.rstrip(".")


class Secrets:
    def __init__(self) -> None:
        self.path = os.environ["HUTCH_SECRETS"]
        self.stamp: tuple[int, int] | None = None
        self.table: dict[str, dict[str, Any]] = {}

    def _load(self) -> dict[str, dict[str, Any]]:
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

    def requestheaders(self, flow: Any) -> None:
        table = self._load()
        sni = _host(flow.client_conn.sni)
        host = _host(flow.request.host_header)
        swaps = [(p, s["value"]) for p, s in table.items() if _matches(sni, s["hosts"]) and host == sni]
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


addons = [Secrets()]
