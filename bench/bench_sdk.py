"""SDK overhead per call: `hutch` (Sandbox / AsyncSandbox) next to the raw generated `hutch_api` call.

First in-process (replies mocked with respx: the client-side cost alone), then against a running
server (`hutch serve`; HUTCH_API_KEY and HUTCH_DOMAIN are read like the SDK reads them).

    python bench/bench_sdk.py [-n 300] [--offline]

For each operation it times N calls both ways, interleaved, on one warm sandbox and prints the
medians side by side; the difference is what the SDK adds (argument checks, retries bookkeeping,
error mapping, conversion to dataclasses), since both ride the same kind of pooled connection.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from hutch import AsyncSandbox, Sandbox, ServiceUnavailableException
from hutch.config import ConnectionConfig
from hutch_api import AuthenticatedClient
from hutch_api.api.commands import list_commands
from hutch_api.api.files import stat_file
from hutch_api.api.sandboxes import get_sandbox, list_sandboxes


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(n: int, raw: Callable[[], object], sdk: Callable[[], object]) -> tuple[float, float]:
    raw_t, sdk_t = [], []
    for _ in range(5):  # warm up both paths
        raw(), sdk()
    for _ in range(n):
        t = time.perf_counter()
        raw()
        raw_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        sdk()
        sdk_t.append(time.perf_counter() - t)
    return _median_ms(raw_t), _median_ms(sdk_t)


async def ameasure(
    n: int, raw: Callable[[], Awaitable[object]], sdk: Callable[[], Awaitable[object]]
) -> tuple[float, float]:
    raw_t, sdk_t = [], []
    for _ in range(5):
        await raw()
        await sdk()
    for _ in range(n):
        t = time.perf_counter()
        await raw()
        raw_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        await sdk()
        sdk_t.append(time.perf_counter() - t)
    return _median_ms(raw_t), _median_ms(sdk_t)


def row(name: str, raw_ms: float, sdk_ms: float) -> None:
    print(f"{name:<34} {raw_ms:>9.3f} {sdk_ms:>9.3f} {(sdk_ms - raw_ms) * 1000:>+10.0f}")


def raw_client(config: ConnectionConfig) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=config.base_url,
        token=config.api_key,
        prefix="",
        auth_header_name="X-API-Key",
        timeout=httpx.Timeout(30.0),
    )


def bench_sync(n: int, config: ConnectionConfig) -> None:
    client = raw_client(config)
    with Sandbox.create(metadata={"bench": "sdk"}) as sbx, client:
        sid = sbx.sandbox_id
        print(f"sync   (sandbox {sid}, n={n})")
        row("get_info / getSandbox", *measure(n, lambda: get_sandbox.sync_detailed(sid, client=client), sbx.get_info))
        row(
            "list / listSandboxes",
            *measure(n, lambda: list_sandboxes.sync_detailed(client=client, limit=10), lambda: Sandbox.list(limit=10)),
        )
        row(
            "files.exists / statFile",
            *measure(
                n,
                lambda: stat_file.sync_detailed(sid, client=client, path="/home/user"),
                lambda: sbx.files.exists("/home/user"),
            ),
        )
        row(
            "commands.list / listCommands",
            *measure(n, lambda: list_commands.sync_detailed(sid, client=client), sbx.commands.list),
        )


async def bench_async(n: int, config: ConnectionConfig) -> None:
    client = raw_client(config)
    async with AsyncSandbox.create(metadata={"bench": "sdk"}) as sbx, client:
        sid = sbx.sandbox_id
        print(f"async  (sandbox {sid}, n={n})")

        async def raw_get() -> object:
            return await get_sandbox.asyncio_detailed(sid, client=client)

        async def raw_stat() -> object:
            return await stat_file.asyncio_detailed(sid, client=client, path="/home/user")

        row("get_info / getSandbox", *await ameasure(n, raw_get, sbx.get_info))
        row("files.exists / statFile", *await ameasure(n, raw_stat, lambda: sbx.files.exists("/home/user")))


def bench_offline(n: int) -> None:
    """The same calls answered in-process (respx), so only client-side work is timed."""
    import respx

    stamp = "2025-01-01T00:00:00Z"
    detail = {
        "sandboxID": "sbx-offline", "templateID": "base", "state": "running", "metadata": {}, "envKeys": [],
        "startedAt": stamp, "endAt": stamp, "cpuCount": 2, "memoryMB": 1024, "diskMB": 2048,
        "allowInternetAccess": True, "lifecycle": {"onTimeout": "kill", "autoResume": False},
    }  # fmt: skip
    entry = {
        "name": "user", "path": "/home/user", "type": "dir", "size": 4096, "mode": 493,
        "permissions": "drwxr-xr-x", "owner": "user", "group": "user", "modifiedTime": stamp,
    }  # fmt: skip
    config = ConnectionConfig.resolve(api_key="offline", domain="offline.invalid:80")
    with respx.mock(base_url=config.base_url) as mock:
        mock.post("/sandboxes").respond(201, json=detail)
        mock.delete("/sandboxes/sbx-offline").respond(204)
        mock.get("/sandboxes/sbx-offline").respond(200, json=detail)
        mock.get("/sandboxes").respond(200, json={"sandboxes": [detail] * 10, "nextToken": None})
        mock.get("/sandboxes/sbx-offline/files/stat").respond(200, json=entry)
        conn = {"api_key": config.api_key, "domain": config.domain}
        client = raw_client(config)
        with Sandbox.create(**conn) as sbx, client:
            sid = sbx.sandbox_id
            print(f"offline: replies made in-process, so this is the client-side cost alone (n={n})")
            row(
                "get_info / getSandbox",
                *measure(n, lambda: get_sandbox.sync_detailed(sid, client=client), sbx.get_info),
            )
            row(
                "list (10 items) / listSandboxes",
                *measure(n, lambda: list_sandboxes.sync_detailed(client=client), lambda: Sandbox.list(**conn)),
            )
            row(
                "files.exists / statFile",
                *measure(
                    n,
                    lambda: stat_file.sync_detailed(sid, client=client, path="/home/user"),
                    lambda: sbx.files.exists("/home/user"),
                ),
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="calls per operation and path (default 300)")
    parser.add_argument("--offline", action="store_true", help="only the in-process comparison (no server needed)")
    args = parser.parse_args()
    print("median ms per call, raw hutch_api vs hutch SDK; overhead in µs")
    print(f"{'operation':<34} {'raw ms':>9} {'sdk ms':>9} {'overhead':>10}")
    bench_offline(args.n)
    if args.offline:
        return 0
    config = ConnectionConfig.resolve()
    print(f"live: server {config.base_url}")
    try:
        bench_sync(args.n, config)
        asyncio.run(bench_async(args.n, config))
    except ServiceUnavailableException as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HUTCH_REQUEST_TIMEOUT", "30")
    sys.exit(main())
