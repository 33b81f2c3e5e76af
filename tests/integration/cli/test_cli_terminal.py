"""`hutch shell` and `hutch exec -it` typed into a real terminal (tmux), as a person would use them."""

from __future__ import annotations

import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HUTCH = str(Path(sys.executable).with_name("hutch"))


class Terminal:
    """A tmux session on a private server socket running one command; read its screen, type into it."""

    def __init__(self, env: dict[str, str], command: list[str], cols: int = 100, rows: int = 30) -> None:
        self.env = env
        self.socket = f"hutch-cli-test-{secrets.token_hex(4)}"
        # The pane outlives the command, and says how it ended.
        script = f"{shlex.join(command)}; echo EXITED=$?; sleep 600"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), script)

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(
            ["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True, timeout=30, check=True
        )
        return proc.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The screen once ``text`` shows on it (polled: the machine is shared, no fixed sleeps)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed; the screen:\n{screen}")
            time.sleep(0.1)

    def type(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal(cli_env) -> Iterator[type[Terminal]]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (make setup installs it)")
    made: list[Terminal] = []

    def make(command: list[str], **size: int) -> Terminal:
        t = Terminal(cli_env, command, **size)
        made.append(t)
        return t

    yield make  # type: ignore[misc]
    for t in made:
        t.close()


def test_shell_keys_resize_ctrl_c_and_exit_code(terminal, sandbox_id) -> None:
    t = terminal([HUTCH, "shell", sandbox_id], cols=100, rows=30)
    t.wait_for(":~$")  # the prompt (capture-pane drops trailing spaces)
    t.type("stty size; echo sum-$((6*7))", "Enter")
    screen = t.wait_for("sum-42")
    assert "30 100" in screen  # the local terminal's size
    t.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40")  # SIGWINCH -> resize
    t.type("clear; stty size", "Enter")
    t.wait_for("40 120")
    t.type("sleep 300; echo not-interrupted", "Enter")
    t.wait_for("sleep 300; echo not-interrupted")
    t.type("C-c")  # goes to the sandbox's terminal, which interrupts sleep (and the line)
    t.type("echo after-$((1+1))", "Enter")
    screen = t.wait_for("after-2")
    assert "not-interrupted" not in [line.strip() for line in screen.splitlines()]  # echoed, never run
    t.type("exit 5", "Enter")
    assert "EXITED=5" in t.wait_for("EXITED=")


def test_exec_it_runs_a_repl_and_ctrl_d_ends_it(terminal, sandbox_id) -> None:
    t = terminal([HUTCH, "exec", "-it", sandbox_id, "--", "python3", "-q"])
    t.wait_for(">>>")
    t.type("import sys; print(sys.stdin.isatty(), 6 * 7)", "Enter")
    t.wait_for("True 42")
    t.type("C-d")  # end of input for python on the sandbox's terminal
    assert "EXITED=0" in t.wait_for("EXITED=")
    t2 = terminal([HUTCH, "exec", "-it", sandbox_id, "--", "bash", "-c", "read -p 'name? ' n; exit ${#n}"])
    t2.wait_for("name?")
    t2.type("abc", "Enter")
    assert "EXITED=3" in t2.wait_for("EXITED=")
