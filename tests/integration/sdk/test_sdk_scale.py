"""Scale and size: 100 sandboxes through asyncio.gather, a 100 MB file round trip in bounded memory."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
import tracemalloc
from collections.abc import Iterator

import pytest

from hutch import AsyncSandbox

pytestmark = pytest.mark.integration

SIZE = 100 * 1024 * 1024
PEAK_LIMIT = 16 * 1024 * 1024  # the SDK may hold a few 1 MiB chunks, never the file


@pytest.fixture(scope="module")
def big_file() -> Iterator[tuple[str, str]]:
    """A 100 MiB local file of random bytes and its sha256."""
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(delete=False) as f:
        for _ in range(SIZE // (4 * 1024 * 1024)):
            block = os.urandom(4 * 1024 * 1024)
            digest.update(block)
            f.write(block)
    yield f.name, digest.hexdigest()
    os.unlink(f.name)


async def test_a_hundred_sandboxes_with_gather(hutch_env):
    # One small test host boots all hundred: allow a request more than the default 30 s.
    async def one(i: int) -> str:
        sbx = await AsyncSandbox.create(timeout=600, metadata={"suite": "sdk-scale"}, request_timeout=180)
        try:
            return (await sbx.commands.run(f"echo {i}")).stdout.strip()
        finally:
            await sbx.kill()
            await sbx.close()

    started = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(100)))
    assert results == [str(i) for i in range(100)]
    print(f"100 sandboxes created, used and killed in {time.monotonic() - started:.1f} s")


async def test_a_100_mb_round_trip_is_byte_exact_in_bounded_memory(sdk, sbx, big_file):
    path, digest = big_file
    tracemalloc.start()
    try:
        with open(path, "rb") as local:
            info = await sdk(sbx.files.write("/tmp/big.bin", local))
        assert (await sdk(sbx.files.get_info(info.path))).size == SIZE
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        remote = hashlib.sha256()
        stream = await sdk(sbx.files.read(info.path, format="stream"))
        if sdk.is_async:
            async for chunk in stream:
                remote.update(chunk)
        else:
            for chunk in stream:
                remote.update(chunk)
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert remote.hexdigest() == digest
    print(f"{sdk}: upload peak {upload_peak / 1e6:.1f} MB, download peak {download_peak / 1e6:.1f} MB")
    assert upload_peak < PEAK_LIMIT and download_peak < PEAK_LIMIT
