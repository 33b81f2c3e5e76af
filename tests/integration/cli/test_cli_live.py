"""Every non-interactive `hutch` command against a real `hutch serve`, run as real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hutch.cli import config

pytestmark = pytest.mark.integration

HUTCH = str(Path(sys.executable).with_name("hutch"))


def test_auth_login_whoami_logout(hutch, hutch_server, cli_env) -> None:
    path = Path(cli_env["HUTCH_CONFIG"])
    no_env = {k: v for k, v in cli_env.items() if k not in ("HUTCH_DOMAIN", "HUTCH_API_KEY")}
    bare = type(hutch)(no_env)
    refused = bare("auth", "login", "--domain", hutch_server.domain, "--api-key", "wrong", check=False)
    assert refused.returncode == 4 and refused.stderr.startswith("hutch: ") and not path.exists()

    bare("auth", "login", "--domain", hutch_server.domain, "--api-key", hutch_server.api_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load(path) == {"domain": hutch_server.domain, "api_key": hutch_server.api_key}
    who = json.loads(bare("whoami", "--json").stdout)
    assert who["domain"] == hutch_server.domain and who["api_key_from"] == str(path) and who["authenticated"]
    assert hutch_server.api_key not in bare("whoami").stdout  # masked
    # the environment wins over the file, a flag over both
    env_key = type(hutch)({**no_env, "HUTCH_API_KEY": "from-env-wrong"})
    assert env_key("whoami", check=False).returncode == 4
    assert env_key("--api-key", hutch_server.api_key_b, "whoami", "--json").stdout.count('"--api-key"') == 1

    bare("auth", "logout")
    assert config.load(path) == {"domain": hutch_server.domain}
    assert bare("whoami", check=False).returncode == 4


def test_create_ls_info(hutch, sandbox_id) -> None:
    info = json.loads(hutch("info", sandbox_id, "--json").stdout)
    assert info["sandbox_id"] == sandbox_id and info["state"] == "running" and info["metadata"] == {"suite": "cli"}
    assert "GREETING" in info["envs"]
    listed = json.loads(hutch("ls", "--json", "-m", "suite=cli").stdout)
    assert [s["sandbox_id"] for s in listed] == [sandbox_id]
    assert json.loads(hutch("ls", "--json", "-m", "suite=none").stdout) == []
    assert sandbox_id in hutch("ls", "--state", "running").stdout
    assert hutch("ls", "-q", "-m", "suite=cli").stdout.split() == [sandbox_id]
    missing = hutch("info", "sbx-0000000000000000", check=False)
    assert missing.returncode == 3 and missing.stderr.count("\n") == 1


def test_completion_lists_my_sandboxes(hutch, sandbox_id, hutch_server) -> None:
    env = {**hutch.env, "_HUTCH_COMPLETE": "bash_complete", "COMP_CWORD": "2"}
    for words in (f"hutch info {sandbox_id[:6]}", "hutch kill "):
        proc = subprocess.run([HUTCH], env={**env, "COMP_WORDS": words}, capture_output=True, text=True, timeout=60)
        assert f"plain,{sandbox_id}" in proc.stdout.splitlines()
    other_tenant = {**env, "HUTCH_API_KEY": hutch_server.api_key_b, "COMP_WORDS": "hutch info "}
    proc = subprocess.run([HUTCH], env=other_tenant, capture_output=True, text=True, timeout=60)
    assert sandbox_id not in proc.stdout


def test_exec_passes_exit_code_output_and_stdin(hutch, sandbox_id) -> None:
    r = hutch("exec", sandbox_id, "--", "bash", "-c", 'echo "$GREETING $X"; echo oops >&2; exit 7', check=False)
    assert (r.returncode, r.stdout, r.stderr) == (7, "hello \n", "oops\n")
    r = hutch("exec", "-e", "X=1", sandbox_id, "--", "bash", "-c", 'echo "$X"')
    assert r.stdout == "1\n"
    data = os.urandom(300_000).hex()  # more than one chunk of stdin
    r = hutch("exec", "-i", sandbox_id, "--", "sha256sum", input=data)
    assert r.stdout.split()[0] == hashlib.sha256(data.encode()).hexdigest()
    assert hutch("exec", sandbox_id, "--", "cat", input="ignored without -i").stdout == ""


def test_exec_detached_then_ps_and_logs(hutch, sandbox_id) -> None:
    script = "echo one; echo two >&2; sleep 300; echo after"
    pid = hutch("exec", "-d", sandbox_id, "--", "bash", "-c", script).stdout.strip()
    procs = {p["pid"]: p for p in json.loads(hutch("ps", sandbox_id, "--json").stdout)}
    assert procs[int(pid)]["running"] is True
    so_far = hutch("logs", sandbox_id, pid)  # returns while the command still sleeps
    assert so_far.stdout == "one\n" and so_far.stderr == "two\n"
    hutch("exec", sandbox_id, "--", "pkill", "-x", "sleep")
    followed = hutch("logs", sandbox_id, pid, "-f")  # to the end
    assert followed.stdout == "one\nafter\n" and followed.stderr.startswith("two\n")  # then bash: "Terminated"
    assert hutch("logs", sandbox_id, "99999", check=False).returncode == 3


def test_cp_both_ways(hutch, sandbox_id, tmp_path: Path) -> None:
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 10)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(6 << 20))
    hutch("cp", str(src), f"{sandbox_id}:cp-test")
    assert hutch("exec", sandbox_id, "--", "cat", "cp-test/a.txt").stdout == "alpha"
    up = hutch("cp", "--progress", str(big), f"{sandbox_id}:/tmp/")
    assert "big.bin" in up.stderr and "MB" in up.stderr  # the progress bar
    sha = hutch("exec", sandbox_id, "--", "sha256sum", "/tmp/big.bin").stdout.split()[0]
    assert sha == hashlib.sha256(big.read_bytes()).hexdigest()

    out = tmp_path / "back"
    hutch("cp", f"{sandbox_id}:/home/user/cp-test", str(out))
    assert (out / "a.txt").read_text() == "alpha"
    assert (out / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    hutch("cp", f"{sandbox_id}:/tmp/big.bin", str(tmp_path))  # into a directory
    assert hutch("exec", sandbox_id, "--", "true").returncode == 0
    assert (tmp_path / "big.bin").read_bytes() == big.read_bytes()
    hutch("cp", "-", f"{sandbox_id}:piped.txt", input="from stdin")
    assert hutch("cp", f"{sandbox_id}:piped.txt", "-").stdout == "from stdin"
    missing = hutch("cp", f"{sandbox_id}:/no/such/file", str(tmp_path / "x"), check=False)
    assert missing.returncode == 3 and not (tmp_path / "x").exists()


def test_ports_and_open(hutch, sandbox_id, hutch_server) -> None:
    hutch("exec", sandbox_id, "--", "bash", "-c", "mkdir -p www && echo served > www/index.html")
    hutch("exec", "-d", "-w", "/home/user/www", sandbox_id, "--", "python3", "-m", "http.server", "8765")
    url = hutch("open", sandbox_id, "8765", "--no-browser").stdout.strip()
    assert url == f"http://{hutch_server.domain}/sandboxes/{sandbox_id}/ports/8765/"
    for _ in range(100):  # until the server listens
        found = json.loads(hutch("ports", sandbox_id, "--json").stdout)
        if any(p["port"] == 8765 for p in found):
            break
    assert [p["url"] for p in found if p["port"] == 8765] == [url]
    assert httpx.get(url, headers={"X-API-Key": hutch_server.api_key}, timeout=30).text == "served\n"


def test_metrics(hutch, sandbox_id) -> None:
    one = json.loads(hutch("metrics", sandbox_id, "--json").stdout)
    assert one["mem_total_mb"] > 0 and one["cpu_used_pct"] >= 0
    lines = hutch("metrics", sandbox_id, "--watch", "--interval", "0.5", "--count", "2", "--json").stdout.splitlines()
    assert len(lines) == 2 and all("timestamp" in json.loads(line) for line in lines)
    assert "MEMORY" in hutch("metrics", sandbox_id).stdout


def test_pause_resume_snapshot_restore_kill(hutch, sandbox_id) -> None:
    hutch("exec", sandbox_id, "--", "bash", "-c", "echo kept > snap.txt")
    snap = hutch("snapshot", sandbox_id).stdout.strip()
    assert snap.startswith("snap-")
    hutch("pause", sandbox_id)
    assert json.loads(hutch("info", sandbox_id, "--json").stdout)["state"] == "paused"
    assert hutch("ls", "-q", "--state", "paused").stdout.split() == [sandbox_id]
    hutch("resume", sandbox_id)
    assert json.loads(hutch("info", sandbox_id, "--json").stdout)["state"] == "running"
    restored = hutch("restore", sandbox_id, snap, "--timeout", "120").stdout.strip()
    assert restored != sandbox_id
    assert hutch("exec", restored, "--", "cat", "snap.txt").stdout == "kept\n"
    r = hutch("kill", restored, "sbx-0000000000000000", check=False)
    assert r.returncode == 3 and "sbx-0000000000000000" in r.stderr
    assert hutch("info", restored, check=False).returncode == 3
