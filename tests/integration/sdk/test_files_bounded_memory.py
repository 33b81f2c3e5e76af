"""A 200 MB file through the whole path (SDK -> hutch serve -> agent -> file and back) streams: neither
the server nor the sandbox's agent holds it, and the bytes come back exact."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

MB = 1024 * 1024
SIZE = 200 * MB
BOUND_KIB = 64 * 1024  # what either process's peak RSS may grow by while a 200 MB file passes through


def _blocks(sent: hashlib._Hash) -> Iterator[bytes]:
    """`SIZE` bytes of distinct 1 MiB blocks, hashed as they are produced (never held together)."""
    base = os.urandom(MB)
    for index in range(SIZE // MB):
        block = index.to_bytes(8, "big") + base[8:]
        sent.update(block)
        yield block


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


def _reset_peak(pid: int) -> int:
    """Restart the process's peak RSS count from now (proc(5): clear_refs 5); its RSS now, in KiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status(pid)["VmRSS"]


def _agent_pid(sandbox_id: str) -> int:
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            mine = f"HUTCH_SANDBOX_ID={sandbox_id}".encode() in environ.read_bytes().split(b"\0")
            if mine and b"hutch_agent" in (environ.parent / "cmdline").read_bytes():
                return int(environ.parent.name)
        except OSError:
            continue
    raise AssertionError(f"no agent process found for {sandbox_id}")


async def test_a_200_mb_file_streams_both_ways_in_bounded_memory(sdk, sbx, hutch_server, tmp_path):
    """Uploaded from a file (so with its Content-Length, which the agent splices into the sandbox's
    file), downloaded as a stream."""
    sent = hashlib.sha256()
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for block in _blocks(sent):
            out.write(block)
    pids = {"server": hutch_server.proc.pid, "agent": _agent_pid(sbx.sandbox_id)}
    rss = {who: _reset_peak(pid) for who, pid in pids.items()}

    with source.open("rb") as data:
        info = await sdk(sbx.files.write("/home/user/big.bin", data))
    assert info.path == "/home/user/big.bin"
    assert (await sdk(sbx.files.get_info("/home/user/big.bin"))).size == SIZE

    received = hashlib.sha256()
    stream = await sdk(sbx.files.read("/home/user/big.bin", format="stream"))
    assert sum(await sdk.items(_hashed(stream, sdk.is_async, received))) == SIZE
    assert received.hexdigest() == sent.hexdigest()

    for who, pid in pids.items():
        grown = _status(pid)["VmHWM"] - rss[who]
        assert grown < BOUND_KIB, f"the {who}'s peak RSS grew by {grown} KiB while 200 MB passed: it buffered"


def _hashed(stream: object, is_async: bool, digest: hashlib._Hash) -> object:
    """The stream's chunk sizes, each chunk hashed and dropped as it comes."""
    if is_async:

        async def sizes_async() -> object:
            async for chunk in stream:  # type: ignore[attr-defined]
                digest.update(chunk)
                yield len(chunk)

        return sizes_async()

    def sizes() -> Iterator[int]:
        for chunk in stream:  # type: ignore[attr-defined]
            digest.update(chunk)
            yield len(chunk)

    return sizes()
