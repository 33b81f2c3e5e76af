"""Drive many sandboxes at once with AsyncSandbox and asyncio.gather.

HUTCH_API_KEY=... python examples/async_fanout.py [N]
"""

import asyncio
import sys
import time

from hutch import AsyncSandbox


async def work(i: int) -> str:
    async with AsyncSandbox.create(metadata={"example": "fanout"}) as sbx:  # killed on exit
        result = await sbx.commands.run(f"echo task {i}: $((({i} + 1) * 1000))")
        return result.stdout.strip()


async def main(n: int) -> None:
    started = time.perf_counter()
    for line in await asyncio.gather(*(work(i) for i in range(n))):
        print(line)
    print(f"{n} sandboxes in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
