"""Commands: output events, exit codes, signals, timeouts, stdin, replay and live following."""

from __future__ import annotations

import json
import os
import pwd
import time
from pathlib import Path

from .conftest import SANDBOX_ENVS, TEST_USER, AgentClient, AgentProcess

PROCESS_INFO_KEYS = {"pid", "cmd", "envs", "user", "cwd", "tag", "pty", "startedAt", "running", "exitCode", "signal"}


def test_stdout_and_stderr_are_separate_and_ordered(client: AgentClient) -> None:
    result = client.run("echo out; echo err >&2; echo out2")
    assert result["stdout"] == "out\nout2\n"
    assert result["stderr"] == "err\n"
    first, last = result["events"][0], result["events"][-1]
    assert first == {"type": "start", "pid": first["pid"]}
    assert last == {"type": "exit", "exitCode": 0, "signal": None, "error": None}


def test_exit_code_is_reported(client: AgentClient) -> None:
    assert client.run("exit 42")["exit"]["exitCode"] == 42


def test_death_by_signal_is_128_plus_n(client: AgentClient) -> None:
    exit_event = client.run("kill -TERM $$")["exit"]
    assert exit_event["exitCode"] == 128 + 15
    assert exit_event["signal"] == 15


def test_timeout_kills_the_whole_process_group(client: AgentClient) -> None:
    began = time.monotonic()
    result = client.run("sleep 300 & echo $!; sleep 300", timeout=0.5)
    assert time.monotonic() - began < 5
    exit_event = {"type": "exit", "exitCode": 137, "signal": 9, "error": "timed out after 0.5 s", "reason": "timeout"}
    assert result["exit"] == exit_event
    background = int(result["stdout"])
    deadline = time.monotonic() + 5
    while _alive(background) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(background), "the background job survived the timeout"


def test_a_timeout_too_large_for_any_clock_is_no_timeout(client: AgentClient) -> None:
    """1e308 s is valid input: poll(2) and the clock overflow long before, and must not stop the agent."""
    assert client.run("echo first", timeout=1e308)["stdout"] == "first\n"
    assert client.run("echo still serving", timeout=0.5)["stdout"] == "still serving\n"


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_stdin_can_be_sent_and_closed(client: AgentClient) -> None:
    pid = client.start("cat; echo done", stdin=True)
    assert client.post(f"/commands/{pid}/stdin", content=b"hello\n").status_code == 204
    assert client.post(f"/commands/{pid}/stdin", content=iter([b"wor", b"ld\n"])).status_code == 204
    assert client.post(f"/commands/{pid}/stdin/close").status_code == 204
    assert client.post(f"/commands/{pid}/stdin/close").status_code == 204  # twice changes nothing
    found = client.events(pid)
    assert "".join(e["data"] for e in found if e["type"] == "stdout") == "hello\nworld\ndone\n"
    assert found[-1]["exitCode"] == 0
    client.expect_error(client.post(f"/commands/{pid}/stdin", content=b"late"), 409, "has ended")


def test_stdin_is_empty_unless_asked_for(client: AgentClient) -> None:
    pid = client.start("cat; echo eof; sleep 30")
    client.wait_for_stdout(pid, "eof\n")  # cat read end of file at once
    client.expect_error(client.post(f"/commands/{pid}/stdin", content=b"x"), 409, "stdin=true")
    client.delete(f"/commands/{pid}")


def test_ten_megabytes_of_output_arrive_byte_exact_and_in_big_chunks(client: AgentClient) -> None:
    lines = 1024 * 1024  # of 10 bytes each
    script = "import sys; sys.stdout.write(''.join(f'{i:09d}\\n' for i in range(LINES)))".replace("LINES", str(lines))
    began = time.monotonic()
    result = client.run(f'python3 -c "{script}"')
    elapsed = time.monotonic() - began
    assert result["exit"]["exitCode"] == 0, result["stderr"]
    assert result["stdout"] == "".join(f"{i:09d}\n" for i in range(lines))
    assert len(result["events"]) < 1000, "output should come in large chunks, not line by line"
    assert elapsed < 10, f"10 MB took {elapsed:.1f} s"


def test_multibyte_characters_split_across_reads_stay_whole(client: AgentClient) -> None:
    result = client.run(r"printf '\xe2\x82'; sleep 0.3; printf '\xac\n'; printf 'a\xffb' >&2")
    assert result["stdout"] == "\u20ac\n"
    assert result["stderr"] == "a\ufffdb"


def test_output_replays_from_any_offset_after_the_end(client: AgentClient) -> None:
    pid = client.start("echo one; sleep 0.1; echo two; sleep 0.1; echo three >&2")
    everything = client.events(pid)
    assert [e["type"] for e in everything] == ["start", "stdout", "stdout", "stderr", "exit"]
    assert client.events(pid, offset=0) == everything
    assert client.events(pid, offset=2) == everything[2:]
    assert client.events(pid, offset=len(everything)) == []


def test_a_reader_follows_live_and_a_late_reader_gets_the_replay_then_live(client: AgentClient) -> None:
    pid = client.start("echo first; sleep 1.5; echo second")
    client.wait_for_stdout(pid, "first\n")  # seen live, before the command ended
    late: list[tuple[float, dict[str, object]]] = []
    with client.stream("GET", f"/commands/{pid}/output") as reply:
        for line in reply.iter_lines():
            late.append((time.monotonic(), json.loads(line)))
    assert [event for _, event in late][1:] == [
        {"type": "stdout", "data": "first\n"},
        {"type": "stdout", "data": "second\n"},
        {"type": "exit", "exitCode": 0, "signal": None, "error": None},
    ]
    replayed_at, second_at = late[1][0], late[2][0]
    assert second_at - replayed_at > 0.8, "the late reader got the replay only when the command ended"


def test_kill_ends_the_command_and_then_answers_404(client: AgentClient) -> None:
    pid = client.start("sleep 100")
    assert client.delete(f"/commands/{pid}").status_code == 204
    assert client.events(pid)[-1] == {"type": "exit", "exitCode": 137, "signal": 9, "error": None}
    client.expect_error(client.delete(f"/commands/{pid}"), 404, "not running")
    client.expect_error(client.delete("/commands/999999999"), 404, "no process with pid 999999999")
    client.expect_error(client.get("/commands/999999999/output"), 404)


def test_signal_reaches_the_command(client: AgentClient) -> None:
    pid = client.start("trap 'echo got USR1; exit 7' USR1; echo ready; while true; do sleep 0.05; done")
    client.wait_for_stdout(pid, "ready\n")
    assert client.post(f"/commands/{pid}/signal", json={"signal": 10}).status_code == 204
    found = client.events(pid)
    assert {"type": "stdout", "data": "got USR1\n"} in found
    assert found[-1]["exitCode"] == 7
    client.expect_error(client.post(f"/commands/{pid}/signal", json={"signal": 65}), 422, "'signal'")
    client.expect_error(client.post(f"/commands/{pid}/signal", json={}), 400, "'signal'")


def test_list_and_get_describe_commands(client: AgentClient) -> None:
    pid = client.start("sleep 100", tag="sleeper", envs={"A": "1"}, cwd="/tmp")
    info = client.get(f"/commands/{pid}").json()
    assert set(info) == PROCESS_INFO_KEYS
    assert info["running"] is True
    assert (info["cmd"], info["tag"], info["envs"], info["cwd"], info["user"], info["pty"]) == (
        "sleep 100",
        "sleeper",
        {"A": "1"},
        "/tmp",
        TEST_USER,
        False,
    )
    assert info["startedAt"].endswith("Z")
    assert pid in [listed["pid"] for listed in client.get("/commands").json()]
    client.delete(f"/commands/{pid}")
    client.events(pid)
    ended = client.get(f"/commands/{pid}").json()
    assert (ended["running"], ended["exitCode"], ended["signal"]) == (False, 137, 9)


def test_commands_run_as_the_user_with_a_login_environment(client: AgentClient, test_user: pwd.struct_passwd) -> None:
    result = client.run(
        'echo "$HOME $USER $LOGNAME"; id -u; id -g; pwd; echo "$SANDBOX_VAR $SHARED $MINE"',
        user="user",
        envs={"SHARED": "command", "MINE": "mine"},
    )
    assert result["stdout"].splitlines() == [
        f"{test_user.pw_dir} {test_user.pw_name} {test_user.pw_name}",
        str(test_user.pw_uid),
        str(test_user.pw_gid),
        test_user.pw_dir,
        "from-sandbox command mine",
    ]
    assert SANDBOX_ENVS["SHARED"] == "sandbox"  # the command's own envs won


def test_cwd_is_used_and_must_exist(client: AgentClient) -> None:
    assert client.run("pwd", cwd="/tmp")["stdout"] == "/tmp\n"
    client.expect_error(client.post("/commands", json={"cmd": "pwd", "user": "user", "cwd": "/nope"}), 404, "/nope")


def test_the_sandbox_env_applies_to_later_commands(fresh_agent: AgentProcess) -> None:
    client = fresh_agent.client
    assert client.get("/env").json() == SANDBOX_ENVS
    assert client.put("/env", json={"NEW": "value"}).json() == {"NEW": "value"}
    assert client.run('echo "${NEW}-${SANDBOX_VAR:-unset}"')["stdout"] == "value-unset\n"


def test_finished_commands_leave_no_zombies(client: AgentClient, agent: AgentProcess) -> None:
    for pid in [client.start("true"), client.start("exit 3"), client.start("kill -9 $$")]:
        client.events(pid)
    children = Path(f"/proc/{agent.pid}/task/{agent.pid}/children").read_text().split()
    for task in os.listdir(f"/proc/{agent.pid}/task"):
        children += Path(f"/proc/{agent.pid}/task/{task}/children").read_text().split()
    zombies = [pid for pid in set(children) if not _alive(int(pid)) and os.path.exists(f"/proc/{pid}")]
    assert zombies == []


def test_a_command_longer_than_one_exec_argument_runs_whole(client: AgentClient) -> None:
    filler = ": " + "x" * 300_000 + "\n"
    result = client.run(f"echo start\n{filler}echo \"$0 $#\"; printf 'tail\\n\\n'\n\n")
    assert result["stdout"] == "start\n/bin/bash 0\ntail\n\n"
    assert result["exit"]["exitCode"] == 0
    listed = client.get(f"/commands/{result['events'][0]['pid']}").json()
    assert len(listed["cmd"]) > 300_000
    client.expect_error(client.post("/commands", json={"cmd": "echo a\u0000b", "user": "user"}), 422, "NUL")
