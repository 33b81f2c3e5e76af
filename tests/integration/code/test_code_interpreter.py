"""The `code-interpreter` template in a real sandbox: typescript, r and java contexts (state, errors,
timeouts that keep the state), its python kernel started at boot, and `hutch.code_interpreter`'s E2B
flavour of run_code (a timeout raises `TimeoutException`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hutch import Sandbox, TimeoutException
from hutch import code_interpreter as ci

pytestmark = pytest.mark.integration

# language -> (define state, use it, its text, code that raises, the error's name, a loop that never ends)
CASES = {
    "typescript": (
        "interface Box { n: number }\nlet box: Box = { n: 41 };\n"
        "process.stdout.write('ty'); process.stdout.write('ped')",
        "box.n += 1; box.n",
        "42",
        "throw new RangeError('too far')",
        "RangeError",
        "while (true) {}",
    ),
    "r": (
        "box <- list(n = 41)\nsquare <- function(x) x * x\ncat('ty'); cat('ped')",
        "box$n <- box$n + 1; box$n",
        "[1] 42",
        "stop('too far')",
        "simpleError",
        "repeat {}",
    ),
    "java": (
        'record Box(int n) {}\nvar box = new Box(41);\nSystem.out.print("ty"); System.out.print("ped");',
        "box = new Box(box.n() + 1); box.n()",
        "42",
        'throw new IllegalStateException("too far");',
        "java.lang.IllegalStateException",
        "while (true) {}",
    ),
}


@pytest.fixture(scope="module")
def interpreter(conn: dict[str, str]) -> Iterator[ci.Sandbox]:
    """One sandbox of the code-interpreter template, through E2B's entry point."""
    with ci.Sandbox.create(timeout=1200, **conn) as sbx:
        yield sbx


@pytest.mark.parametrize("language", sorted(CASES))
def test_state_errors_and_timeouts(interpreter: ci.Sandbox, language: str) -> None:
    define, use, text, raises, error_name, loop = CASES[language]
    context = interpreter.create_code_context(language=language)
    assert context.language == language
    first = interpreter.run_code(define, context=context, timeout=120)
    assert first.error is None, first.error
    assert first.stdout.endswith("typed") and "".join(first.logs.stdout) == first.stdout  # no newline: flushed too
    second = interpreter.run_code(use, context=context)
    assert (second.error, second.text) == (None, text)
    assert second.execution_count == 2 and second.results[0].is_main_result

    failed = interpreter.run_code(raises, context=context)
    assert failed.error is not None and failed.error.name == error_name, failed.error
    assert "too far" in failed.error.value and failed.exit_code == 1 and failed.results == []

    began = time.monotonic()
    with pytest.raises(TimeoutException, match="timed out"):
        interpreter.run_code(loop, context=context, timeout=2)
    assert time.monotonic() - began < 60
    again = interpreter.run_code(use, context=context)
    assert (again.error, again.text) == (None, text.replace("42", "43")), "the interrupt kept the state"
    interpreter.remove_code_context(context)


def test_default_contexts_of_every_language_and_a_syntax_error(interpreter: ci.Sandbox) -> None:
    listed = {c.id: c.language for c in interpreter.list_code_contexts()}
    assert listed == {lang: lang for lang in ("python", "bash", "javascript", "typescript", "r", "java")}
    assert interpreter.run_code("const n: number = 'x' as any; typeof n", language="ts").text == "string"
    bad = interpreter.run_code("let y: = 3", language="typescript")
    assert bad.error is not None and bad.error.name == "SyntaxError"
    bad = interpreter.run_code("int y = ;", language="java")
    assert bad.error is not None and bad.error.name == "CompilationError"
    assert interpreter.run_code("Sys.getenv('ONLY_NOW')", language="r", envs={"ONLY_NOW": "yes"}).text == '[1] "yes"'
    assert interpreter.run_code("Sys.getenv('ONLY_NOW')", language="r").text == '[1] ""'


def test_the_python_kernel_is_started_at_boot(conn: dict[str, str], sandbox: Sandbox) -> None:
    """code-interpreter's sandboxes start the default python context with the sandbox; base's do not."""
    with ci.Sandbox.create(envs={"GIVEN_AT_CREATE": "yes"}, **conn) as fresh:
        deadline = time.monotonic() + 60
        while "python_kernel.py" not in _processes(fresh) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "python_kernel.py" in _processes(fresh)
        result = fresh.run_code("import IPython, os; os.environ['GIVEN_AT_CREATE'], 6 * 7")
        assert (result.text, result.execution_count) == ("('yes', 42)", 1)  # started before, yet sees them
    assert "python_kernel.py" not in _processes(sandbox)


def _processes(sbx: Sandbox) -> str:
    return sbx.commands.run("ps -eo args", user="root").stdout
