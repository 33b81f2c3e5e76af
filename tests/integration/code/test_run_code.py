"""run_code end to end: SDK -> hutch serve -> gateway -> agent -> interpreters in a real sandbox."""

from __future__ import annotations

import base64
import struct
import time
from typing import Any

import pytest

from hutch import (
    AsyncSandbox,
    CodeContext,
    ExecutionResult,
    InvalidArgumentException,
    NotFoundException,
    Sandbox,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def python(sandbox: Sandbox) -> Any:
    """A python context of the test's own, removed afterwards."""
    context = sandbox.create_code_context("python")
    yield context
    sandbox.remove_code_context(context)


def test_state_persists_across_calls_in_python_bash_and_javascript(sandbox: Sandbox) -> None:
    assert sandbox.run_code("counter = 41").error is None
    result = sandbox.run_code("counter += 1\ncounter")
    assert (result.text, result.exit_code, result.context_id) == ("42", 0, "python")

    sandbox.run_code('mkdir -p /tmp/work && cd /tmp/work\nexport GREETING=hi\nshout() { echo "$1!"; }', "bash")
    result = sandbox.run_code('pwd; echo "$GREETING"; bash -c \'echo "child: $GREETING"\'; shout hey', "bash")
    assert result.stdout == "/tmp/work\nhi\nchild: hi\nhey!\n"
    assert result.context_id == "bash"

    sandbox.run_code("let total = 1; const items = [1, 2, 3]", "javascript")
    result = sandbox.run_code("total += items.length; console.log('sum'); total", "javascript")
    assert (result.stdout, result.text) == ("sum\n", "4")
    assert {c.context_id for c in sandbox.list_code_contexts()} >= {"python", "bash", "javascript"}


def test_a_matplotlib_plot_comes_back_as_a_png(sandbox: Sandbox, python: CodeContext) -> None:
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\nplt.show()"
    result = sandbox.run_code(code, context=python, timeout=120)
    assert result.error is None, result.error
    [figure] = result.results
    assert figure.png is not None and "png" in figure.formats()
    data = base64.b64decode(figure.png, validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width > 100 and height > 100


def test_a_pandas_dataframe_comes_back_as_html(sandbox: Sandbox, python: CodeContext) -> None:
    result = sandbox.run_code("import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': [3, 4]})", context=python)
    assert result.error is None, result.error
    [frame] = result.results
    assert frame.is_main_result
    assert frame.html is not None and "<table" in frame.html and "dataframe" in frame.html
    assert frame.text is not None and "a  b" in frame.text


def test_an_exception_is_reported_and_the_context_still_works(sandbox: Sandbox, python: CodeContext) -> None:
    sandbox.run_code("kept = 'still here'", context=python)
    result = sandbox.run_code("print('before')\n{}['missing']", context=python)
    assert isinstance(result, ExecutionResult)
    assert result.error is not None and result.error.name == "KeyError"
    assert "missing" in result.error.value and "Traceback" in result.error.traceback
    assert (result.stdout, result.exit_code, result.success) == ("before\n", 1, False)
    assert sandbox.run_code("kept", context=python).text == "still here"


def test_output_streams_before_the_code_finishes(sandbox: Sandbox, python: CodeContext) -> None:
    code = "import time\nfor i in range(3):\n    print(i)\n    time.sleep(0.5)\nprint(time.time())"
    seen: list[tuple[float, dict[str, Any]]] = []
    for message in sandbox.run_code_stream(code, context=python):
        seen.append((time.time(), message))
    kinds = [message["type"] for _, message in seen]
    assert kinds == ["stdout", "stdout", "stdout", "stdout", "done"]
    assert [message["data"] for _, message in seen[:3]] == ["0\n", "1\n", "2\n"]
    finished_at = float(seen[3][1]["data"])  # the sandbox's clock after the loop (same host clock)
    assert seen[0][0] < finished_at, "the first line reached the client before the code was done"


async def test_async_stream_and_callbacks(conn: dict[str, str]) -> None:
    async with AsyncSandbox.create(**conn) as sbx:
        lines: list[str] = []

        async def on_stdout(text: str) -> None:
            lines.append(text)

        result = await sbx.run_code("for i in range(3): print(i)", on_stdout=on_stdout)
        assert lines == ["0\n", "1\n", "2\n"] and result.stdout == "0\n1\n2\n"
        messages = [m async for m in sbx.run_code_stream("print('x')\n7")]
        assert [m["type"] for m in messages] == ["stdout", "result", "done"]
        assert messages[-1]["exit_code"] == 0


def test_a_timeout_interrupts_and_the_state_survives(sandbox: Sandbox, python: CodeContext) -> None:
    sandbox.run_code("survivor = 'yes'", context=python)
    began = time.monotonic()
    result = sandbox.run_code("import time\nwhile True:\n    time.sleep(0.1)", context=python, timeout=2)
    assert time.monotonic() - began < 30
    assert result.error is not None and result.error.name == "TimeoutError"
    assert "keeps its state" in result.error.value
    assert sandbox.run_code("survivor", context=python).text == "yes"

    stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)"
    result = sandbox.run_code(stubborn, context=python, timeout=1)
    assert result.error is not None and "state was lost" in result.error.value
    assert sandbox.run_code("'survivor' in dir()", context=python).text == "False"


def test_bash_and_javascript_timeouts(sandbox: Sandbox) -> None:
    context = sandbox.create_code_context("bash")
    try:
        sandbox.run_code("kept=1", context=context)
        result = sandbox.run_code("sleep 60", context=context, timeout=1)
        assert result.error is not None and result.error.name == "TimeoutError"
        assert sandbox.run_code("echo $kept", context=context).stdout == "1\n"
    finally:
        sandbox.remove_code_context(context)
    result = sandbox.run_code("while (true) {}", "javascript", timeout=1)
    assert result.error is not None and result.error.name == "TimeoutError"
    assert sandbox.run_code("1 + 1", "javascript").text == "2"


def test_env_changes_are_seen_by_commands_and_code(sandbox: Sandbox) -> None:
    assert sandbox.env.get_all()["FROM_CREATE"] == "created"
    sandbox.env.set("SHARED_TOKEN", "t-1")
    try:
        assert sandbox.commands.run('echo "$SHARED_TOKEN"').stdout == "t-1\n"
        assert sandbox.run_code("import os\nos.environ['SHARED_TOKEN']").text == "t-1"
        assert sandbox.run_code('echo "$SHARED_TOKEN"', "bash").stdout == "t-1\n"
        assert sandbox.run_code("process.env.SHARED_TOKEN", "javascript").text == "t-1"
        sandbox.env.update({"SHARED_TOKEN": "t-2", "FROM_CREATE": None})
        assert sandbox.env.get("SHARED_TOKEN") == "t-2" and sandbox.env.get("FROM_CREATE") is None
        assert sandbox.run_code("os.environ.get('SHARED_TOKEN'), os.environ.get('FROM_CREATE')").text == "('t-2', None)"
        assert sandbox.env.delete("SHARED_TOKEN") is True
        assert sandbox.commands.run('echo "[$SHARED_TOKEN]"').stdout == "[]\n"
        assert sandbox.env.delete("SHARED_TOKEN") is False
    finally:
        sandbox.env.replace({"FROM_CREATE": "created"})
    assert sandbox.run_code("os.environ.get('FROM_CREATE')").text == "created"
    per_call = sandbox.run_code("os.environ.get('ONLY_NOW')", envs={"ONLY_NOW": "1"}, cwd="/tmp")
    assert per_call.text == "1"
    assert sandbox.run_code("os.environ.get('ONLY_NOW'), os.getcwd()").text == "(None, '/home/user')"


def test_contexts_are_independent_and_can_be_restarted_and_removed(sandbox: Sandbox) -> None:
    first = sandbox.create_code_context("python", envs={"WHO": "first"})
    second = sandbox.create_code_context(cwd="/tmp")
    try:
        sandbox.run_code("x = 1", context=first)
        assert sandbox.run_code("x", context=second).error.name == "NameError"  # type: ignore[union-attr]
        where = sandbox.run_code("import os; os.environ['WHO'], os.getcwd()", context=first)
        assert where.text == "('first', '/home/user')"
        assert sandbox.run_code("import os; os.getcwd()", context=second).text == "/tmp"
        sandbox.restart_code_context(first)
        assert sandbox.run_code("'x' in dir()", context=first).text == "False"
        with pytest.raises(InvalidArgumentException, match="runs python"):
            sandbox.run_code("echo", "bash", context=first)
    finally:
        sandbox.remove_code_context(first)
        sandbox.remove_code_context(second.id)
    with pytest.raises(NotFoundException):
        sandbox.run_code("1", context=first)
    assert first.context_id not in {c.context_id for c in sandbox.list_code_contexts()}
