"""Code contexts (python, bash, javascript) and the sandbox env routes, against the agent on the host.

Contexts run as `user`, which the harness maps to the throwaway test user (see conftest.py).
matplotlib and pandas are not on the host either: those results are checked in real sandboxes.
"""

from __future__ import annotations

import json
import pwd
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import SANDBOX_ENVS, AgentClient


def run(client: AgentClient, code: str, **fields: Any) -> list[dict[str, Any]]:
    """Every event of one execution, each with `at`: when this client received it (wall clock)."""
    with client.stream("POST", "/code/run", json={"code": code, **fields}) as reply:
        assert reply.status_code == 200, reply.read()
        assert reply.headers["content-type"] == "application/x-ndjson"
        return [{**json.loads(line), "at": time.time()} for line in reply.iter_lines() if line]


def text(events: list[dict[str, Any]], kind: str = "stdout") -> str:
    return "".join(e["text"] for e in events if e["type"] == kind)


def only(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "at"} for e in events if e["type"] == kind]


@pytest.fixture
def new_context(client: AgentClient, test_user: pwd.struct_passwd) -> Iterator[Callable[[str], str]]:
    """Makes fresh contexts (as the test user) and removes them afterwards."""
    made: list[str] = []

    def new(language: str) -> str:
        reply = client.post("/code/contexts", json={"language": language, "user": "user"})
        assert reply.status_code == 201, reply.text
        assert reply.json()["language"] == language and reply.json()["user"] == test_user.pw_name
        made.append(str(reply.json()["contextID"]))
        return made[-1]

    yield new
    for context_id in made:
        client.delete(f"/code/contexts/{context_id}")


@pytest.fixture
def context(new_context: Callable[[str], str]) -> str:
    return new_context("python")


@pytest.fixture
def bash(new_context: Callable[[str], str]) -> str:
    return new_context("bash")


@pytest.fixture
def js(new_context: Callable[[str], str]) -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not installed on this host")
    return new_context("javascript")


# ------------------------------------------------------------------------------------------- python


def test_python_state_persists_and_the_last_expression_is_the_result(client: AgentClient, context: str) -> None:
    first = run(client, "x = 41\nprint('set')\nx + 1", contextID=context)
    assert text(first) == "set\n"
    assert only(first, "result") == [{"type": "result", "data": {"text/plain": "42"}, "isMainResult": True}]
    done = first[-1]
    assert {k: v for k, v in done.items() if k != "at"} == {
        "type": "done", "exitCode": 0, "status": "ok", "executionCount": 1, "contextID": context, "timedOut": False,
    }  # fmt: skip
    second = run(client, "x += 1\nprint(x)", contextID=context)
    assert text(second) == "42\n"
    assert second[-1]["executionCount"] == 2
    assert not only(second, "result")


def test_display_and_repr_methods_give_mime_bundles(client: AgentClient, context: str) -> None:
    code = (
        "class Card:\n"
        "    def _repr_html_(self): return '<b>card</b>'\n"
        "    def _repr_json_(self): return {'n': 1}\n"
        "    def __repr__(self): return 'Card()'\n"
        "display(Card())\n"
        "print('between')\n"
        "Card()"
    )
    events = run(client, code, contextID=context)
    kinds = [e["type"] for e in events]
    assert kinds == ["result", "stdout", "result", "done"], "display, print and the result keep their order"
    shown, main = only(events, "result")
    assert shown["isMainResult"] is False and main["isMainResult"] is True
    assert main["data"] == {"text/html": "<b>card</b>", "application/json": '{"n": 1}', "text/plain": "Card()"}


def test_an_exception_is_an_error_event_and_the_context_lives_on(client: AgentClient, context: str) -> None:
    run(client, "kept = 'yes'", contextID=context)
    events = run(client, "print('before')\nundefined_name", contextID=context)
    assert text(events) == "before\n"
    [error] = only(events, "error")
    assert error["name"] == "NameError"
    assert "undefined_name" in error["value"]
    assert "Traceback" in error["traceback"] and "<cell 2>" in error["traceback"]
    assert (events[-1]["status"], events[-1]["exitCode"]) == ("error", 1)
    assert text(run(client, "print(kept)", contextID=context)) == "yes\n"
    syntax = only(run(client, "def broken(:", contextID=context), "error")
    assert syntax[0]["name"] == "SyntaxError"


def test_output_streams_while_the_code_runs(client: AgentClient, context: str) -> None:
    code = "import time\nfor i in range(3):\n    print(i)\n    time.sleep(0.3)\nprint(time.time())"
    events = run(client, code, contextID=context)
    stdout = [e for e in events if e["type"] == "stdout"]
    assert [e["text"] for e in stdout[:3]] == ["0\n", "1\n", "2\n"], "one event per line, as printed"
    finished_at = float(stdout[-1]["text"])  # the code's own clock reading, after its loop
    assert stdout[0]["at"] < finished_at, "the first line reached us before the code was done"


def test_subprocess_output_arrives_before_done(client: AgentClient, context: str) -> None:
    events = run(
        client, "import subprocess\nsubprocess.run(['echo', 'from a child'])\nprint('after')", contextID=context
    )
    assert "from a child\n" in text(events)
    assert events[-1]["type"] == "done"


def test_a_timeout_interrupts_and_keeps_the_state(client: AgentClient, context: str) -> None:
    run(client, "survivor = 7", contextID=context)
    events = run(client, "import time\nwhile True:\n    time.sleep(0.05)", contextID=context, timeout=0.5)
    [error] = only(events, "error")
    assert error["name"] == "TimeoutError"
    assert "keeps its state" in error["value"]
    assert "KeyboardInterrupt" in error["traceback"]
    assert (events[-1]["status"], events[-1]["timedOut"]) == ("error", True)
    assert all(isinstance(e["timestamp"], int) for e in events if e["type"] in ("stdout", "stderr"))
    assert text(run(client, "print(survivor)", contextID=context)) == "7\n"


def test_a_timeout_too_large_for_any_clock_is_no_timeout(client: AgentClient, context: str) -> None:
    events = run(client, "print(6 * 7)", contextID=context, timeout=1e308)
    assert (text(events), events[-1]["status"]) == ("42\n", "ok")


def test_code_that_ignores_the_interrupt_is_killed_and_the_context_restarted(client: AgentClient, context: str) -> None:
    run(client, "lost = 1", contextID=context)
    code = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)"
    events = run(client, code, contextID=context, timeout=0.3)
    [error] = only(events, "error")
    assert error["name"] == "TimeoutError"
    assert "state was lost" in error["value"]
    assert events[-1]["exitCode"] == 137
    after = run(client, "print('lost' in dir())", contextID=context)
    assert text(after) == "False\n"
    assert after[-1]["executionCount"] == 1, "a fresh interpreter"


def test_envs_and_cwd_hold_for_one_execution(client: AgentClient, context: str, workdir: Any) -> None:
    code = "import os\nprint(os.environ.get('PER_CALL'), os.getcwd())"
    assert text(run(client, code, contextID=context, envs={"PER_CALL": "1"}, cwd=str(workdir))) == f"1 {workdir}\n"
    home = pwd.getpwnam(client.get("/code/contexts").json()[-1]["user"]).pw_dir
    assert text(run(client, code, contextID=context)) == f"None {home}\n"


def test_the_sandbox_env_reaches_a_running_context(client: AgentClient, context: str) -> None:
    code = "import os\nprint(os.environ.get('SANDBOX_VAR'), os.environ.get('ADDED'))"
    assert text(run(client, code, contextID=context)) == "from-sandbox None\n"
    try:
        assert client.patch("/env", json={"ADDED": "now", "SANDBOX_VAR": None}).status_code == 200
        assert text(run(client, code, contextID=context)) == "None now\n"
    finally:
        client.put("/env", json=SANDBOX_ENVS)
    assert text(run(client, code, contextID=context)) == "from-sandbox None\n"


def test_restart_loses_state_and_remove_forgets_the_context(client: AgentClient, context: str) -> None:
    run(client, "gone = 1", contextID=context)
    reply = client.post(f"/code/contexts/{context}/restart")
    assert reply.status_code == 200 and reply.json()["contextID"] == context
    assert only(run(client, "gone", contextID=context), "error")[0]["name"] == "NameError"
    assert context in [c["contextID"] for c in client.get("/code/contexts").json()]
    assert client.delete(f"/code/contexts/{context}").status_code == 204
    assert context not in [c["contextID"] for c in client.get("/code/contexts").json()]
    client.expect_error(client.post("/code/run", json={"code": "1", "contextID": context}), 404, context)
    client.expect_error(client.post(f"/code/contexts/{context}/restart"), 404, context)
    client.expect_error(client.delete(f"/code/contexts/{context}"), 404, context)


def test_a_context_removed_while_it_runs_ends_the_execution(client: AgentClient, context: str) -> None:
    import threading

    events: list[dict[str, Any]] = []
    runner = threading.Thread(
        target=lambda: events.extend(run(client, "import time\ntime.sleep(60)", contextID=context))
    )
    runner.start()
    time.sleep(0.5)
    assert client.delete(f"/code/contexts/{context}").status_code == 204
    runner.join(10)
    assert not runner.is_alive()
    assert only(events, "error")[0]["name"] == "ContextRestarted"
    assert events[-1]["type"] == "done"


def test_a_broken_ipython_leaves_the_plain_runner_and_says_so(client: AgentClient, workdir: Any) -> None:
    broken = workdir / "IPython"
    broken.mkdir(mode=0o755)
    (broken / "__init__.py").write_text("raise ImportError('this IPython is broken')\n")
    (broken / "__init__.py").chmod(0o644)
    reply = client.post(
        "/code/contexts", json={"language": "python", "user": "user", "envs": {"PYTHONPATH": str(workdir)}}
    )
    assert reply.status_code == 201, reply.text
    context = reply.json()["contextID"]
    try:
        events = run(client, "6 * 7", contextID=context)
        assert "[hutch: IPython could not be loaded (this IPython is broken); cells run without it]" in text(
            events, "stderr"
        )
        assert only(events, "result") == [{"type": "result", "data": {"text/plain": "42"}, "isMainResult": True}]
    finally:
        client.delete(f"/code/contexts/{context}")


def test_bad_requests(client: AgentClient, context: str, test_user: pwd.struct_passwd) -> None:
    client.expect_error(client.post("/code/run", json={}), 400, "code")
    client.expect_error(client.post("/code/run", json={"code": 1}), 400, "code")
    client.expect_error(client.post("/code/run", json={"code": "1", "language": "cobol"}), 422, "cobol")
    mismatch = client.post("/code/run", json={"code": "1", "contextID": context, "language": "bash"})
    client.expect_error(mismatch, 409, "runs python")
    client.expect_error(client.post("/code/run", json={"code": "1", "timeout": -1}), 422, "timeout")
    missing_dir = client.post("/code/run", json={"code": "1", "contextID": context, "cwd": "/no/such/dir"})
    client.expect_error(missing_dir, 404, "/no/such/dir")
    new = {"language": "python", "user": "user"}
    client.expect_error(client.post("/code/contexts", json={**new, "cwd": "/no/such/dir"}), 404, "/no/such/dir")
    client.expect_error(client.post("/code/contexts", json={**new, "user": "nobody-here"}), 422, "nobody-here")
    client.expect_error(client.post("/code/contexts", json={**new, "language": "cobol"}), 422, "cobol")


# --------------------------------------------------------------------------------------------- bash


def test_bash_keeps_cwd_variables_and_functions(client: AgentClient, bash: str, workdir: Any) -> None:
    run(client, f'cd {workdir}\nexport EXPORTED=e\nplain=p\ngreet() {{ echo hi "$1"; }}', contextID=bash)
    events = run(
        client, 'pwd; echo "$EXPORTED $plain"; bash -c \'echo "child sees $EXPORTED"\'; greet you', contextID=bash
    )
    assert text(events) == f"{workdir}\ne p\nchild sees e\nhi you\n"
    assert (events[-1]["exitCode"], events[-1]["status"]) == (0, "ok")


def test_bash_reports_the_last_status_and_stderr(client: AgentClient, bash: str) -> None:
    events = run(client, "echo out; echo err >&2; (exit 3)", contextID=bash)
    assert (text(events), text(events, "stderr")) == ("out\n", "err\n")
    assert (events[-1]["exitCode"], events[-1]["status"]) == (3, "error")
    assert not only(events, "error")
    assert run(client, "true", contextID=bash)[-1]["exitCode"] == 0


def test_bash_code_cannot_read_the_agents_requests(client: AgentClient, bash: str) -> None:
    events = run(client, "cat; read line; echo \"read: [$line]\"; echo '__HUTCH_CELL_x'", contextID=bash)
    assert text(events) == "read: []\n__HUTCH_CELL_x\n"
    assert text(run(client, "echo next", contextID=bash)) == "next\n"


def test_bash_timeout_interrupts_and_keeps_the_state(client: AgentClient, bash: str) -> None:
    run(client, "kept=1", contextID=bash)
    for loop in ("sleep 30", "while true; do :; done", "sleep 30 & wait"):
        events = run(client, f"echo start; {loop}; echo never", contextID=bash, timeout=0.5)
        assert text(events) == "start\n"
        assert text(events, "stderr") == ""
        assert only(events, "error")[0]["name"] == "TimeoutError"
        assert events[-1]["exitCode"] == 130
    assert text(run(client, "echo $kept", contextID=bash)) == "1\n"


def test_bash_exit_ends_the_interpreter_and_the_next_cell_starts_afresh(client: AgentClient, bash: str) -> None:
    run(client, "lost=1", contextID=bash)
    events = run(client, "exit 4", contextID=bash)
    assert only(events, "error")[0]["name"] == "InterpreterExited"
    assert events[-1]["exitCode"] == 4
    assert text(run(client, 'echo "[$lost]"', contextID=bash)) == "[]\n"


def test_bash_sees_envs_per_call_and_sandbox_env_changes(client: AgentClient, bash: str) -> None:
    assert text(run(client, 'echo "$ONCE"; bash -c \'echo "$ONCE"\'', contextID=bash, envs={"ONCE": "o"})) == "o\no\n"
    assert text(run(client, 'echo "[$ONCE]"', contextID=bash)) == "[]\n"
    run(client, "export KEEP=mine", contextID=bash)
    assert text(run(client, "bash -c 'echo \"$KEEP\"'", contextID=bash, envs={"KEEP": "call's"})) == "call's\n"
    assert text(run(client, "bash -c 'echo \"$KEEP\"'", contextID=bash)) == "mine\n"
    try:
        client.put("/env/LATER", json={"value": 'it\'s "quoted" $HOME'})
        assert text(run(client, 'echo "$LATER"', contextID=bash)) == 'it\'s "quoted" $HOME\n'
    finally:
        client.put("/env", json=SANDBOX_ENVS)


# --------------------------------------------------------------------------------------- javascript


def test_javascript_state_results_and_errors(client: AgentClient, js: str) -> None:
    first = run(client, "let count = 1; const data = {a: [1, 2]}\nconsole.log('hello'); count + 1", contextID=js)
    assert text(first) == "hello\n"
    assert only(first, "result")[0]["data"] == {"text/plain": "2"}
    second = run(client, "count += 10; data", contextID=js)
    assert only(second, "result")[0]["data"] == {"text/plain": "{ a: [ 1, 2 ] }", "application/json": '{"a":[1,2]}'}
    error = only(run(client, "null.boom", contextID=js), "error")[0]
    assert error["name"] == "TypeError" and "cell-3" in error["traceback"]
    assert only(run(client, "count", contextID=js), "result")[0]["data"]["text/plain"] == "11"
    awaited = run(client, "const later = await new Promise(r => setTimeout(() => r(5), 50))\nlater * 2", contextID=js)
    assert only(awaited, "result")[0]["data"]["text/plain"] == "10"
    assert only(run(client, "later", contextID=js), "result")[0]["data"]["text/plain"] == "5"


def test_javascript_timeout_interrupts_busy_and_awaiting_code(client: AgentClient, js: str) -> None:
    run(client, "var kept = 'yes'", contextID=js)
    for code in ("while (true) {}", "await new Promise(() => {})"):
        events = run(client, code, contextID=js, timeout=0.5)
        assert only(events, "error")[0]["name"] == "TimeoutError", events
        assert "keeps its state" in only(events, "error")[0]["value"]
    assert only(run(client, "kept", contextID=js), "result")[0]["data"]["text/plain"] == "'yes'"


def test_javascript_sees_the_sandbox_env(client: AgentClient, js: str) -> None:
    try:
        client.patch("/env", json={"FOR_NODE": "n"})
        events = run(client, "process.env.FOR_NODE + process.env.PER", contextID=js, envs={"PER": "!"})
        assert only(events, "result")[0]["data"]["text/plain"] == "'n!'"
    finally:
        client.put("/env", json=SANDBOX_ENVS)


# ---------------------------------------------------------------------------------------------- env


def test_env_routes(client: AgentClient) -> None:
    try:
        assert client.get("/env").json() == SANDBOX_ENVS
        assert client.get("/env/SHARED").json() == {"name": "SHARED", "value": "sandbox"}
        assert client.put("/env/NEW", json={"value": "v"}).json() == {"name": "NEW", "value": "v"}
        merged = client.patch("/env", json={"NEW": "w", "SHARED": None, "OTHER": ""})
        assert merged.json() == {"SANDBOX_VAR": "from-sandbox", "NEW": "w", "OTHER": ""}
        assert client.delete("/env/NEW").status_code == 204
        client.expect_error(client.delete("/env/NEW"), 404, "NEW")
        client.expect_error(client.get("/env/NEW"), 404, "NEW")
        assert client.put("/env", json={"ONLY": "1"}).json() == {"ONLY": "1"}
        assert client.get("/env").json() == {"ONLY": "1"}
        client.expect_error(client.patch("/env", json={"A=B": "x"}), 422, "A=B")
        client.expect_error(client.patch("/env", json={"A": 1}), 400, "A")
        client.expect_error(client.patch("/env", json=["A"]), 400, "object")
        client.expect_error(client.put("/env/A=B", json={"value": "x"}), 400, "A=B")  # a path parameter: 400
        client.expect_error(client.put("/env/A", json={}), 400, "value")
        client.expect_error(client.put("/env/A", json={"value": "a\u0000b"}), 422, "'value'", "NUL")
        assert client.get("/env").json() == {"ONLY": "1"}, "refused changes change nothing"
    finally:
        client.put("/env", json=SANDBOX_ENVS)


def test_commands_see_env_changes(client: AgentClient) -> None:
    try:
        client.put("/env/FOR_COMMANDS", json={"value": "c"})
        assert client.run('echo "$FOR_COMMANDS"')["stdout"] == "c\n"
        client.delete("/env/FOR_COMMANDS")
        assert client.run('echo "[$FOR_COMMANDS]"')["stdout"] == "[]\n"
    finally:
        client.put("/env", json=SANDBOX_ENVS)
