"""The hopx seed page's examples (../shared/seeds/002_238eb2bb9fe60d0c.txt) that tests/integration/code/
test_hopx_seed.py does not run as printed: ``create`` / ``list`` / ``iter``, and Example 3 with the
page's own templates (``nodejs`` and ``go``). Only ``from hopx_ai import AsyncSandbox`` is changed to
``from hutch import AsyncSandbox`` (the key and the server come from HUTCH_API_KEY / HUTCH_DOMAIN, as
HOPX_API_KEY would); each example is a ``main()`` run with ``asyncio.run``, as on the page, and its
printed output is checked against the page's "Expected Output" where that is not a made-up ID."""

from __future__ import annotations

import asyncio
import re

import pytest

from hutch import AsyncSandbox, NotFoundException

pytestmark = pytest.mark.integration


def test_create_and_public_host(hutch_env, capsys):
    async def main():
        sandbox = await AsyncSandbox.create(template="code-interpreter")
        info = await sandbox.get_info()
        print(info.public_host)
        await sandbox.kill()  # the page leaves it running; the test does not

    asyncio.run(main())
    assert re.fullmatch(r"http://\S+/sandboxes/sbx-[0-9a-f]+\n", capsys.readouterr().out)


def test_list_and_iter(hutch_env, capsys):
    async def main():
        keep = await AsyncSandbox.create(template="code-interpreter")
        sandboxes = await AsyncSandbox.list(status="running")
        for sb in sandboxes:
            info = await sb.get_info()
            print(f"{info.sandbox_id}: {info.status}")
        async for sandbox in AsyncSandbox.iter(status="running"):
            info = await sandbox.get_info()
            print(f"{info.sandbox_id}")
        await keep.kill()
        return keep.sandbox_id

    sandbox_id = asyncio.run(main())
    lines = capsys.readouterr().out.splitlines()
    assert f"{sandbox_id}: running" in lines and sandbox_id in lines


def test_example_3_concurrent_sandboxes(hutch_env, capsys):
    async def run_in_sandbox(template):
        async with AsyncSandbox.create(template=template) as sandbox:
            result = await sandbox.run_code("print('Hello from', template)")
            return result.stdout

    async def main():
        templates = ["code-interpreter", "nodejs", "go"]
        results = await asyncio.gather(*[run_in_sandbox(t) for t in templates])
        for r in results:
            print(r)

    try:
        asyncio.run(main())
    except NotFoundException as e:
        if "nodejs" in str(e) or "go" in str(e):
            pytest.skip(f"templates nodejs and go come with the templates issue (14), not built here: {e}")
        raise
    # The page expects "Hello from <template>", but its code never sends `template` to the sandbox: in the
    # sandbox's Python the name is undefined, so each run ends in a NameError with no stdout, and the
    # example prints three empty results. That it runs at all, in all three templates, is what is checked.
    assert capsys.readouterr().out == "\n\n\n"
