"""Terminals: an interactive login shell that echoes what is typed, resizes and can be killed."""

from __future__ import annotations

import base64
import json
import pwd
import queue
import threading
import time
from typing import Any

from .conftest import AgentClient


class Screen:
    """A terminal's output, read on a thread; `expect` waits for text to appear."""

    def __init__(self, client: AgentClient, pid: int) -> None:
        self.text = ""
        self.events: list[dict[str, Any]] = []
        self._chunks: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, args=(client, pid), daemon=True).start()

    def _read(self, client: AgentClient, pid: int) -> None:
        with client.stream("GET", f"/pty/{pid}/output") as reply:
            for line in reply.iter_lines():
                self._chunks.put(json.loads(line))

    def expect(self, wanted: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.text:
            event = self._chunks.get(timeout=max(0.01, deadline - time.monotonic()))
            self.events.append(event)
            if event["type"] == "data":
                self.text += base64.b64decode(event["data"]).decode(errors="replace")

    def wait_exit(self, timeout: float = 10) -> dict[str, Any]:
        while not self.events or self.events[-1]["type"] != "exit":
            self.events.append(self._chunks.get(timeout=timeout))
        return self.events[-1]


def start_pty(client: AgentClient, **fields: Any) -> int:
    fields.setdefault("user", "user")
    reply = client.post("/pty", json={"size": {"rows": 24, "cols": 80}, **fields})
    assert reply.status_code == 201, reply.text
    info = reply.json()
    assert (info["pty"], info["running"], info["cmd"]) == (True, True, "/bin/bash -i -l")
    return int(info["pid"])


def test_an_interactive_shell_echoes_input_and_runs_it(client: AgentClient) -> None:
    pid = start_pty(client)
    screen = Screen(client, pid)
    assert client.post(f"/pty/{pid}/input", content=b"echo hello-$((6*7)); tty\n").status_code == 204
    screen.expect("hello-42")
    screen.expect("/dev/pts/")
    assert "echo hello-$((6*7))" in screen.text, "the terminal echoes what is typed"
    client.post(f"/pty/{pid}/input", content=b'echo "$TERM"; exit 3\n')
    screen.expect("xterm-256color")
    assert screen.wait_exit() == {"type": "exit", "exitCode": 3, "signal": None}


def test_resize_reaches_the_terminal(client: AgentClient) -> None:
    pid = start_pty(client)
    screen = Screen(client, pid)
    client.post(f"/pty/{pid}/input", content=b"stty size\n")
    screen.expect("24 80")
    assert client.post(f"/pty/{pid}/resize", json={"rows": 50, "cols": 132}).status_code == 204
    client.post(f"/pty/{pid}/input", content=b"stty size\n")
    screen.expect("50 132")
    client.expect_error(client.post(f"/pty/{pid}/resize", json={"rows": 0, "cols": 10}), 422, "'rows'")
    client.delete(f"/pty/{pid}")


def test_kill_ends_the_terminal_and_then_answers_404(client: AgentClient) -> None:
    pid = start_pty(client)
    assert client.delete(f"/pty/{pid}").status_code == 204
    found = client.events(pid, kind="pty")
    assert found[-1] == {"type": "exit", "exitCode": 137, "signal": 9}
    client.expect_error(client.delete(f"/pty/{pid}"), 404)
    client.expect_error(client.post(f"/pty/{pid}/input", content=b"x"), 409, "has ended")


def test_the_shell_runs_as_the_user_in_their_home(client: AgentClient, test_user: pwd.struct_passwd) -> None:
    pid = start_pty(client, user="user", envs={"GREETING": "hey"})
    screen = Screen(client, pid)
    client.post(f"/pty/{pid}/input", content=b'echo "id=$(id -u) pwd=$(pwd) $GREETING"\n')
    screen.expect(f"id={test_user.pw_uid} pwd={test_user.pw_dir} hey")
    client.delete(f"/pty/{pid}")


def test_terminals_and_commands_do_not_mix_routes(client: AgentClient) -> None:
    pid = start_pty(client)
    client.expect_error(client.get(f"/commands/{pid}/output"), 409, "terminal")
    command = client.start("sleep 30")
    client.expect_error(client.get(f"/pty/{command}/output"), 409, "command")
    client.delete(f"/pty/{pid}")
    client.delete(f"/commands/{command}")


def test_a_terminal_replays_only_its_latest_megabyte(client: AgentClient) -> None:
    pid = start_pty(client)
    client.post(f"/pty/{pid}/input", content=b"yes | head -c 3000000; echo the-end; exit\n")
    deadline = time.monotonic() + 30
    while client.get(f"/commands/{pid}").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    found = client.events(pid, kind="pty")  # a replay: the terminal has ended
    output = b"".join(base64.b64decode(e["data"]) for e in found if e["type"] == "data")
    assert output.endswith(b"the-end\r\nlogout\r\n")
    assert 500_000 < len(output) < 800_000, len(output)  # 1 MiB of base64 lines
    assert found[-1] == {"type": "exit", "exitCode": 0, "signal": None}
    assert client.events(pid, offset=10**6, kind="pty") == []
