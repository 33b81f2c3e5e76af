"""The CLI without a server: config precedence and file mode, help and examples, errors and exit codes."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hutch.cli import config, main
from hutch.cli.ports import listening


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No connection settings from the environment; a config file in a temporary directory."""
    for name in ("HUTCH_DOMAIN", "HUTCH_API_KEY", "HUTCH_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "cfg" / "config.toml"
    monkeypatch.setenv("HUTCH_CONFIG", str(path))
    return {"HUTCH_CONFIG": str(path)}


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, cmd in group.commands.items():
        found.append((*prefix, name))
        if isinstance(cmd, click.Group):
            found += _commands(cmd, (*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = main
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    if not isinstance(cmd, click.Group):
        assert "Example:" in result.output and "hutch " in result.output.split("Example:")[1]


def test_top_level_help_documents_exit_codes() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "130"):
        assert f"  {code}" in out


def test_settings_precedence_flag_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    config.save(path, {"domain": "file:1", "api_key": 'k"ey\\from-file'})
    monkeypatch.delenv("HUTCH_DOMAIN", raising=False)
    monkeypatch.delenv("HUTCH_API_KEY", raising=False)
    s = config.resolve(None, None, path)
    assert (s.domain, s.api_key, s.domain_from) == ("file:1", 'k"ey\\from-file', str(path))
    monkeypatch.setenv("HUTCH_DOMAIN", "env:2")
    s = config.resolve(None, None, path)
    assert (s.domain, s.domain_from, s.api_key_from) == ("env:2", "HUTCH_DOMAIN", str(path))
    s = config.resolve("flag:3", "flagkey", path)
    assert (s.domain, s.api_key, s.domain_from, s.api_key_from) == ("flag:3", "flagkey", "--domain", "--api-key")
    assert config.resolve(None, None, tmp_path / "missing.toml").api_key_from == "default"


def test_config_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "config.toml"
    config.save(path, {"domain": "x:1", "api_key": "secret"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config.save(path, {"domain": "x:1"})  # rewriting keeps the mode and drops the key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load(path) == {"domain": "x:1"}


def test_a_broken_config_file_is_one_line(env: dict[str, str]) -> None:
    Path(env["HUTCH_CONFIG"]).parent.mkdir(parents=True)
    Path(env["HUTCH_CONFIG"]).write_text("domain = [unclosed\n")
    result = CliRunner().invoke(main, ["ls"])
    assert result.exit_code == 1
    assert result.output.startswith("hutch: cannot read ") and result.output.count("\n") == 1


def test_unreachable_server_is_exit_5_one_line(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["--domain", f"127.0.0.1:{_closed_port()}", "--api-key", "k", "ls"])
    assert result.exit_code == 5
    assert result.output.startswith("hutch: Could not connect") and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(env: dict[str, str]) -> None:
    argv = [
        sys.executable,
        "-m",
        "hutchd",
        "--debug",
        "--api-key",
        "k",
        "--domain",
        f"127.0.0.1:{_closed_port()}",
        "info",
        "x",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "ServiceUnavailableException" in proc.stderr


def test_usage_errors_are_exit_2(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["kill"]).exit_code == 2
    assert runner.invoke(main, ["create", "--env", "NOEQUALS"]).exit_code == 2
    result = runner.invoke(main, ["cp", "a", "b"])
    assert result.exit_code == 2 and "exactly one of SRC and DST" in result.output


def test_shell_needs_a_terminal(env: dict[str, str]) -> None:
    # CliRunner's stdin is no terminal; the check comes before any request would
    result = CliRunner().invoke(main, ["--domain", f"127.0.0.1:{_closed_port()}", "exec", "-t", "sbx-x", "--", "sh"])
    assert result.exit_code != 0


def test_bash_completion_script() -> None:
    exe = Path(sys.executable).with_name("hutch")
    proc = subprocess.run(
        [str(exe)], env={**os.environ, "_HUTCH_COMPLETE": "bash_source"}, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "complete -o nosort -F _hutch_completion hutch" in proc.stdout
    words = {"COMP_WORDS": "hutch sna", "COMP_CWORD": "1", "_HUTCH_COMPLETE": "bash_complete"}
    proc = subprocess.run([str(exe)], env={**os.environ, **words}, capture_output=True, text=True, timeout=60)
    assert "snapshot" in proc.stdout


def test_listening_ports_from_proc_net_tcp() -> None:
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue\n"
        "   0: 00000000:1F40 00000000:0000 0A 00000000:00000000\n"  # 0.0.0.0:8000 LISTEN
        "   1: 0100007F:0BB8 00000000:0000 0A 00000000:00000000\n"  # 127.0.0.1:3000 LISTEN
        "   2: 0100007F:9C40 0100007F:1F40 01 00000000:00000000\n"  # an established connection
        "   3: 3500007F:0035 00000000:0000 0A 00000000:00000000\n"  # hutch's resolver, 127.0.0.53:53
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0\n"  # [::1]:8080
    )
    assert listening(text) == [("127.0.0.1", 3000), ("0.0.0.0", 8000), ("::1", 8080)]


def test_serve_without_the_server_extra_says_what_to_install(tmp_path: Path) -> None:
    # A Python where uvicorn cannot be imported, as after `pip install hutch` without [server]
    script = (
        "import sys, importlib.abc\n"
        "class NoUvicorn(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'uvicorn': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoUvicorn())\n"
        "from hutch.cli import main\n"
        "main(['serve', '--data-dir', sys.argv[1]], prog_name='hutch')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "hutch: the server is not installed (missing uvicorn): pip install 'hutch[server]'\n"
    assert list(tmp_path.iterdir()) == []  # nothing was started or made


def test_without_rich_tables_and_progress_fall_back_to_click() -> None:
    # `pip install hutch` without [cli]: no rich; tables are columns, progress is click's bar
    script = (
        "import sys, importlib.abc\n"
        "class NoRich(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'rich': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoRich())\n"
        "from hutch.cli import _app\n"
        "_app.print_table(['ID', 'STATE'], [['sbx-1', 'running'], ['sbx-22', None]])\n"
        "with _app.progress(4 << 20, 'big.bin', True) as advance:\n"
        "    advance(4 << 20)\n"
        "assert 'rich' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ID      STATE\nsbx-1   running\nsbx-22  -\n"
    assert "big.bin" in proc.stderr
