"""Output streams live: callbacks, a background handle, async iteration, re-attaching.

HUTCH_API_KEY=... python examples/streaming.py
"""

import asyncio
import time

from hutch import AsyncSandbox, CommandExitException, Sandbox

TICKS = "for i in 1 2 3; do echo tick $i; sleep 0.5; done; echo done >&2"


def sync_part() -> None:
    with Sandbox.create() as sbx:
        start = time.monotonic()
        # Callbacks get each chunk as the command prints it, not after it ends.
        sbx.commands.run(
            TICKS,
            on_stdout=lambda chunk: print(f"[{time.monotonic() - start:4.1f}s] out: {chunk!r}"),
            on_stderr=lambda chunk: print(f"[{time.monotonic() - start:4.1f}s] err: {chunk!r}"),
        )

        handle = sbx.commands.run("for i in 1 2 3; do echo $i; sleep 0.2; done; exit 3", background=True)
        for stdout, stderr, _pty in handle:  # chunks as they arrive
            print("chunk:", repr(stdout or stderr))
        try:
            handle.wait()
        except CommandExitException as e:
            print("exit code", e.exit_code, "stdout was", repr(e.stdout))

        # The sandbox keeps a command's output: attach again and it is replayed from the start.
        again = sbx.commands.connect(handle.pid)
        try:
            again.wait()
        except CommandExitException as e:
            print("replayed:", repr(e.stdout))


async def async_part() -> None:
    async with AsyncSandbox.create() as sbx:
        handle = await sbx.commands.run(TICKS, background=True)
        async for stdout, stderr, _pty in handle:
            print("async chunk:", repr(stdout or stderr))
        result = await handle.wait()
        print("async result:", repr(result.stdout))


if __name__ == "__main__":
    sync_part()
    asyncio.run(async_part())
