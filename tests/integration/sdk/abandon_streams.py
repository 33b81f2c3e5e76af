"""Child process of test_sdk_abandoned_streams.py: abandon streams in reference cycles, many rounds.

Usage: python abandon_streams.py sync|async SEED ROUNDS (HUTCH_DOMAIN / HUTCH_API_KEY set).

Each round sets a random ``gc.set_threshold`` (so that the collector fires at arbitrary points,
including inside the SDK's own requests), opens one streaming call (command output, pty, watch,
file read, run_code stream), reads one item of it, abandons it inside a reference cycle, and then
makes a few ordinary calls. Before the fix the sync SDK hung for good: the collector finalized an
abandoned stream inside httpx's pool lock and the close waited for that same lock.
"""

from __future__ import annotations

import asyncio
import gc
import random
import sys
from typing import Any

from hutch import AsyncSandbox, Sandbox

KINDS = ("command", "pty", "watch", "read", "code")
COMMAND = "echo first; sleep 20; echo never"
CODE = "import time\nprint('first', flush=True)\ntime.sleep(0.3)\nprint('second', flush=True)"
BIG = b"x" * (4 * 1024 * 1024)  # far more than one chunk, so the read is left mid-way


def abandon(*objects: Any) -> None:
    """Leave ``objects`` in a reference cycle: only the cyclic collector can free them."""
    cycle: list[Any] = [*objects]
    cycle.append(cycle)


def sync_round(sbx: Sandbox, kind: str, n: int) -> None:
    if kind == "command":
        handle = sbx.commands.run(COMMAND, background=True, timeout=25)
        it: Any = iter(handle)
        next(it)
        abandon(handle, it)
    elif kind == "pty":
        pty = sbx.pty.create(timeout=25)
        it = iter(pty)
        next(it)
        abandon(pty, it)
    elif kind == "watch":
        watch = sbx.files.watch_dir("/tmp/watched")
        sbx.files.write(f"/tmp/watched/f{n}", "x")
        it = iter(watch)
        next(it)
        abandon(watch, it)
    elif kind == "read":
        stream = sbx.files.read("/tmp/big", format="stream")
        next(stream)
        abandon(stream)
    else:
        it = sbx.run_code_stream(CODE)
        next(it)
        abandon(it)


async def async_round(sbx: AsyncSandbox, kind: str, n: int) -> None:
    if kind == "command":
        handle = await sbx.commands.run(COMMAND, background=True, timeout=25)
        it: Any = aiter(handle)
        await anext(it)
        abandon(handle, it)
    elif kind == "pty":
        pty = await sbx.pty.create(timeout=25)
        it = aiter(pty)
        await anext(it)
        abandon(pty, it)
    elif kind == "watch":
        watch = await sbx.files.watch_dir("/tmp/watched")
        await sbx.files.write(f"/tmp/watched/f{n}", "x")
        it = aiter(watch)
        await anext(it)
        abandon(watch, it)
    elif kind == "read":
        stream = await sbx.files.read("/tmp/big", format="stream")
        await anext(stream)
        abandon(stream)
    else:
        it = sbx.run_code_stream(CODE)
        await anext(it)
        abandon(it)


def run_sync(seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    with Sandbox.create(timeout=600) as sbx:
        sbx.files.write("/tmp/big", BIG)
        sbx.files.make_dir("/tmp/watched")
        for n in range(rounds):
            gc.set_threshold(rng.randint(1, 60), rng.randint(1, 10), rng.randint(1, 10))
            sync_round(sbx, KINDS[n % len(KINDS)], n)
            for _ in range(rng.randint(1, 4)):
                sbx.files.exists("/tmp/big")
                sbx.get_info()
            print(n, flush=True)
        gc.set_threshold(700, 10, 10)
        gc.collect()


async def run_async(seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    async with AsyncSandbox.create(timeout=600) as sbx:
        await sbx.files.write("/tmp/big", BIG)
        await sbx.files.make_dir("/tmp/watched")
        for n in range(rounds):
            gc.set_threshold(rng.randint(1, 60), rng.randint(1, 10), rng.randint(1, 10))
            await async_round(sbx, KINDS[n % len(KINDS)], n)
            for _ in range(rng.randint(1, 4)):
                await sbx.files.exists("/tmp/big")
                await sbx.get_info()
            print(n, flush=True)
        gc.set_threshold(700, 10, 10)
        gc.collect()


if __name__ == "__main__":
    flavor, seed, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if flavor == "sync":
        run_sync(seed, rounds)
    else:
        asyncio.run(run_async(seed, rounds))
    print("done", flush=True)
