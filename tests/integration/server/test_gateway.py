"""Agent routes through the server: commands and files, streamed both ways."""

from __future__ import annotations

import hashlib
import json
import os
import time

from server_helpers import follow, run


def test_command_round_trip(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    out = run(http, sid, "echo out; echo err >&2; exit 3")
    assert out["stdout"] == "out\n" and out["stderr"] == "err\n" and out["exitCode"] == 3
    listed = http.get(f"/sandboxes/{sid}/commands").json()
    assert out["pid"] in [p["pid"] for p in listed]
    info = http.get(f"/sandboxes/{sid}/commands/{out['pid']}").json()
    assert info["running"] is False and info["exitCode"] == 3


def test_output_streams_while_the_command_runs(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    r = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "for i in 1 2 3; do echo tick$i; sleep 1; done"})
    pid = r.json()["pid"]
    arrivals = []
    start = time.monotonic()
    with http.stream("GET", f"/sandboxes/{sid}/commands/{pid}/output") as resp:
        for line in resp.iter_lines():
            if line:
                ev = json.loads(line)
                arrivals.append((ev["type"], time.monotonic() - start))
    stdout_times = [t for kind, t in arrivals if kind == "stdout"]
    assert len(stdout_times) >= 2
    # the first tick arrives about two seconds before the command ends, not with the rest
    assert stdout_times[0] < 1.0 and arrivals[-1][1] - stdout_times[0] > 1.5, arrivals


def test_replay_with_offset(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    out = run(http, sid, "echo a; echo b")
    again = follow(http, sid, out["pid"], offset=1)
    assert again["events"] == out["events"][1:]


def test_stdin_and_signal(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    pid = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "cat", "stdin": True}).json()["pid"]
    assert http.post(f"/sandboxes/{sid}/commands/{pid}/stdin", content=b"piped\n").status_code == 204
    assert http.post(f"/sandboxes/{sid}/commands/{pid}/stdin/close").status_code == 204
    assert follow(http, sid, pid)["stdout"] == "piped\n"
    pid = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "sleep 100"}).json()["pid"]
    assert http.post(f"/sandboxes/{sid}/commands/{pid}/signal", json={"signal": 15}).status_code == 204
    assert follow(http, sid, pid)["exitCode"] == 128 + 15


def test_large_file_streams_both_ways(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    size = 64 * 1024 * 1024
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)

    def body():
        for _ in range(size // len(block)):
            digest.update(block)
            yield block

    r = http.put(f"/sandboxes/{sid}/files", params={"path": "/home/user/big.bin"}, content=body())
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/home/user/big.bin"
    down = hashlib.sha256()
    n = 0
    with http.stream("GET", f"/sandboxes/{sid}/files", params={"path": "/home/user/big.bin"}) as resp:
        assert resp.status_code == 200
        for chunk in resp.iter_bytes():
            n += len(chunk)
            down.update(chunk)
    assert n == size and down.hexdigest() == digest.hexdigest()


def test_file_operations(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    base = f"/sandboxes/{sid}/files"
    assert http.put(base, params={"path": "notes/a.txt"}, content=b"hi").json()["path"] == "/home/user/notes/a.txt"
    assert http.get(base, params={"path": "/home/user/notes/a.txt"}).content == b"hi"
    entries = http.get(f"{base}/list", params={"path": "/home/user/notes"}).json()
    assert [e["name"] for e in entries] == ["a.txt"]
    assert http.get(f"{base}/stat", params={"path": "/home/user/notes/a.txt"}).json()["size"] == 2
    moved = http.post(f"{base}/rename", json={"source": "notes/a.txt", "destination": "notes/b.txt"})
    assert moved.status_code == 200 and moved.json()["name"] == "b.txt"
    assert http.post(f"{base}/mkdir", json={"path": "/home/user/d"}).status_code == 201
    assert http.post(f"{base}/mkdir", json={"path": "/home/user/d"}).status_code == 200
    files = [("files", ("/home/user/m1.txt", b"1")), ("files", ("m2.txt", b"22"))]
    written = http.post(f"{base}/batch", files=files)
    assert written.status_code == 200 and [w["name"] for w in written.json()] == ["m1.txt", "m2.txt"]
    assert http.delete(base, params={"path": "/home/user/notes"}).status_code == 204
    missing = http.get(base, params={"path": "/home/user/notes/b.txt"})
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message"}


def test_watch_streams_events_until_the_client_leaves(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    base = f"/sandboxes/{sid}/files"
    assert http.post(f"{base}/mkdir", json={"path": "/home/user/w"}).status_code == 201
    with http.stream("GET", f"{base}/watch", params={"path": "/home/user/w"}) as resp:
        assert resp.status_code == 200
        lines = resp.iter_lines()
        assert json.loads(next(lines))["type"] == "ready"
        assert http.put(base, params={"path": "/home/user/w/new.txt"}, content=b"x").status_code == 200
        for line in lines:
            if line and json.loads(line).get("name") == "new.txt":
                break
    # the gateway let go of the agent stream: the sandbox still answers
    assert run(http, sid, "echo fine")["stdout"] == "fine\n"


def test_a_required_body_sent_not_at_all_is_400_but_an_empty_one_is_a_body(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    missing = http.put(f"/sandboxes/{sid}/files", params={"path": "nobody.txt"})
    assert missing.status_code == 400 and "needs a body (application/octet-stream)" in missing.json()["message"]
    assert http.get(f"/sandboxes/{sid}/files/stat", params={"path": "nobody.txt"}).status_code == 404
    empty = http.put(
        f"/sandboxes/{sid}/files", params={"path": "empty.txt"}, headers={"Content-Type": "application/octet-stream"}
    )
    assert empty.status_code == 200
    assert http.get(f"/sandboxes/{sid}/files/stat", params={"path": "empty.txt"}).json()["size"] == 0
    pid = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "cat", "stdin": True}).json()["pid"]
    assert http.post(f"/sandboxes/{sid}/commands/{pid}/stdin").status_code == 400
    assert http.post(f"/sandboxes/{sid}/commands/{pid}/stdin", content=b"").status_code == 400
    typed = http.post(
        f"/sandboxes/{sid}/commands/{pid}/stdin", content=b"", headers={"Content-Type": "application/octet-stream"}
    )
    assert typed.status_code == 204
