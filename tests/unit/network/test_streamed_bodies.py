"""The decrypting proxy's reading of streamed bodies (runtime/mitm_addon.py `_Streamed`): whatever
sizes the chunks come in, what goes on is what the held body would have become, and a refusal or an
unreadable body stops the stream. Runs the addon's code without mitmproxy (a stand-in flow)."""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest


@pytest.fixture
def addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The addon as mitmdump loads it (its files from the environment), and gone again after (it
    puts its own directory on sys.path to import `inspection`, as mitmproxy's Python needs)."""
    for name in ("HUTCH_SECRETS", "HUTCH_POLICY", "HUTCH_MASKED", "HUTCH_AUDIT_ON"):
        monkeypatch.setenv(name, str(tmp_path / name))
    monkeypatch.setenv("HUTCH_AUDIT_FD", "-1")
    monkeypatch.setattr(sys, "path", [*sys.path])
    sys.modules.pop("hutchd.runtime.mitm_addon", None)
    yield importlib.import_module("hutchd.runtime.mitm_addon")
    for name in ("hutchd.runtime.mitm_addon", "inspection"):
        sys.modules.pop(name, None)


def _flow() -> Any:
    return SimpleNamespace(metadata={"hutch": {"findings": [], "reason": None}})


def _work(**parts: Any) -> dict[str, Any]:
    return {"host": "api.test", "rules": [], "injection": None, "pii": None, "masks": [], **parts}


def _stream(addon: ModuleType, body: bytes, work: dict[str, Any], seed: int, headers: dict[str, str]) -> bytes:
    inspector = addon.addons[1]
    streamed = addon._Streamed(inspector, _flow(), "request", work, headers)
    rng, out, at = random.Random(seed), [], 0
    while at < len(body):
        size = rng.choice([1, 7, 4096, 65536, 300_000])
        out += streamed(body[at : at + size])
        at += size
    out += streamed(b"")
    return b"".join(out)


def test_chunks_of_any_size_come_out_as_the_held_body_would(addon: ModuleType) -> None:
    pii = {"types": ["email", "credit_card"], "action": "redact"}
    masks = [("sk-secret-value-123", "[MASKED:API_KEY]")]
    rng = random.Random(7)
    parts = []
    for i in range(400):  # values every ~3 KiB, so windows cut near many of them
        parts.append("x" * rng.randint(0, 6000))
        parts.append(rng.choice([f"u{i}@mail.example", "sk-secret-value-123", "4111 1111 1111 1111", "é✓"]))
    body = " ".join(parts).encode()
    work = _work(pii=pii, masks=masks)
    held, refusal = addon.addons[1]._process(_flow(), body.decode(), "request", work)
    assert refusal is None and "sk-secret-value-123" not in held and "@mail.example" not in held
    for seed in range(4):
        headers = {"content-length": str(len(body))}
        assert _stream(addon, body, work, seed, headers) == held.encode()
        assert headers == {"transfer-encoding": "chunked"}  # its length changes: sent in chunks


def test_a_refusal_or_an_unreadable_body_stops_the_stream(addon: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    aborted: list[Any] = []
    monkeypatch.setattr(addon, "_abort", aborted.append)
    block = _work(pii={"types": ["email"], "action": "block"})
    body = b"a" * 600_000 + b" me@mail.example " + b"b" * 600_000
    headers = {"content-length": str(len(body))}
    out = _stream(addon, body, block, 1, headers)
    assert len(out) < 600_000 and b"mail.example" not in out and len(aborted) == 1
    assert headers == {"content-length": str(len(body))}  # blocking alone keeps the length
    squeezed = _stream(addon, b"x" * 2_000_000, block, 2, {"content-encoding": "gzip"})
    assert squeezed == b"" and len(aborted) == 2  # compressed: it cannot read it, so nothing goes
    logged = _work(pii={"types": ["email"], "action": "log_only"})
    assert _stream(addon, body, logged, 3, {"content-encoding": "gzip"}) == body  # only recorded: passes
