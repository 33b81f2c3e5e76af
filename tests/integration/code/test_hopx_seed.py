"""The run_code examples of hopx's AsyncSandbox page (../shared/seeds/002_238eb2bb9fe60d0c.txt), run as
written with `from hopx_ai import AsyncSandbox` replaced by `from hutch import AsyncSandbox`. The key
and server come from HUTCH_API_KEY / HUTCH_DOMAIN; `code-interpreter` is hutch's template of that
name (`base` plus typescript, r and java); example 3's `nodejs` and `go` are hutch's built-in templates
too (`base` plus npm, `base` plus golang). (The page's other examples, which do not run code, are in
tests/integration/sdk.)"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator

import pytest

from hutch import AsyncSandbox

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def hutch_env(conn: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HUTCH_API_KEY", conn["api_key"])
    monkeypatch.setenv("HUTCH_DOMAIN", conn["domain"])
    yield


async def test_run_code_method_example(capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = await AsyncSandbox.create(template="code-interpreter")
    result = await sandbox.run_code("print('Hello, HopX!')")
    print(result.stdout)
    await sandbox.kill()
    assert capsys.readouterr().out == "Hello, HopX!\n\n"


async def test_run_code_stream_method_example(capsys: pytest.CaptureFixture[str]) -> None:
    async with AsyncSandbox.create(template="code-interpreter") as sandbox:
        code = "print('Hello')"
        async for message in sandbox.run_code_stream(code, language="python", timeout=60):
            print(message)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "{'type': 'stdout', 'data': 'Hello\\n'}"
    assert lines[-1].startswith("{'type': 'done', 'exit_code': 0")


async def test_async_context_manager_example(capsys: pytest.CaptureFixture[str]) -> None:
    async with AsyncSandbox.create(template="code-interpreter") as sandbox:
        result = await sandbox.run_code("print('Hello')")
        print(result.stdout)
    # Automatically calls await sandbox.kill() when exiting
    assert capsys.readouterr().out == "Hello\n\n"
    assert await AsyncSandbox.kill(sandbox.sandbox_id) is False, "the block killed it"


def test_example_1_basic_async_usage(capsys: pytest.CaptureFixture[str]) -> None:
    async def main():
        sandbox = await AsyncSandbox.create(template="code-interpreter")
        result = await sandbox.run_code("print('Hello, HopX!')")
        print(result.stdout)
        await sandbox.kill()

    _run(main())
    assert capsys.readouterr().out == "Hello, HopX!\n\n"


def test_example_2_async_context_manager(capsys: pytest.CaptureFixture[str]) -> None:
    async def main():
        async with AsyncSandbox.create(template="code-interpreter") as sandbox:
            result = await sandbox.run_code("import sys; print(sys.version)")
            print(result.stdout)

    _run(main())
    assert capsys.readouterr().out.startswith("3.")


def test_example_3_concurrent_sandboxes(capsys: pytest.CaptureFixture[str]) -> None:
    async def run_in_sandbox(template):
        async with AsyncSandbox.create(template=template) as sandbox:
            result = await sandbox.run_code("print('Hello from', template)")
            return result.stdout

    async def main():
        templates = ["code-interpreter", "nodejs", "go"]
        results = await asyncio.gather(*[run_in_sandbox(t) for t in templates])
        for r in results:
            print(r)

    _run(main())
    # As on hopx, `template` is a variable of the caller, not of the sandbox: the code raises NameError
    # there, so nothing is printed (the error is in result.error).
    assert capsys.readouterr().out == "\n\n\n"


def test_example_4_streaming_output(capsys: pytest.CaptureFixture[str]) -> None:
    arrivals: list[float] = []

    async def main():
        sandbox = await AsyncSandbox.create(template="code-interpreter")

        async for message in sandbox.run_code_stream(
            "for i in range(5):\n    print(f'Count: {i}')\n    import time\n    time.sleep(1)"
        ):
            if message.get("type") == "stdout":
                arrivals.append(time.monotonic())
                print(message.get("data", ""), end="")

        await sandbox.kill()

    _run(main())
    assert capsys.readouterr().out == "".join(f"Count: {i}\n" for i in range(5))
    assert arrivals == sorted(arrivals) and len(arrivals) == 5, "one message per line, as they were printed"


def _run(coro: object) -> None:
    """`asyncio.run(main())` as in the examples, on a thread of its own (pytest-asyncio owns this one's loop)."""
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    sys.stdout.flush()
