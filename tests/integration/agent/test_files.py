"""Files: streamed reads and writes, batch upload, listing, stat, rename, mkdir, remove, permissions."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx

from .conftest import AgentClient, AgentProcess

ENTRY_KEYS = {"name", "path", "type", "size", "mode", "permissions", "owner", "group", "modifiedTime", "symlinkTarget"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _blocks(count: int, size: int = 1024 * 1024) -> Iterator[bytes]:
    """`count` distinct blocks of binary noise (every byte value occurs)."""
    base = os.urandom(size)
    for index in range(count):
        yield index.to_bytes(8, "big") + base[8:]


def test_a_100_mb_binary_file_round_trips_byte_exact_without_buffering(
    fresh_agent: AgentProcess, workdir: Path
) -> None:
    client = fresh_agent.client
    sent = hashlib.sha256()

    def upload() -> Iterator[bytes]:
        for block in _blocks(100):
            sent.update(block)
            yield block

    path = str(workdir / "big.bin")
    reply = client.put("/files", params={"path": path, "user": "root"}, content=upload())
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"path": path, "name": "big.bin", "type": "file"}
    assert os.path.getsize(path) == 100 * 1024 * 1024

    received = hashlib.sha256()
    size = 0
    with client.stream("GET", "/files", params={"path": path, "user": "root"}) as download:
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/octet-stream"
        for chunk in download.iter_bytes():
            received.update(chunk)
            size += len(chunk)
    assert size == 100 * 1024 * 1024
    assert received.hexdigest() == sent.hexdigest()
    peak = fresh_agent.peak_rss_kib()
    assert peak < 50 * 1024, f"the agent's memory peaked at {peak} KiB: it buffered the file"


def _put_head(path: Path, length: int) -> bytes:
    target = f"/files?path={quote(str(path))}&user=root"
    return f"PUT {target} HTTP/1.1\r\nHost: agent\r\nContent-Length: {length}\r\n\r\n".encode()


def test_a_content_length_upload_is_byte_exact_and_the_connection_carries_on(
    agent: AgentProcess, workdir: Path
) -> None:
    """Part of the body comes with the headers (buffered by the agent), the rest is spliced from the
    socket to the file; the next request on the connection is read from where the body ended."""
    data = b"".join(_blocks(8))
    path = workdir / "spliced.bin"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(agent.socket)
        sock.sendall(_put_head(path, len(data)) + data[:1000])
        sock.sendall(data[1000:] + b"GET /health HTTP/1.1\r\nHost: agent\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.count(b"HTTP/1.1 200 OK") == 2, reply[:500]
    assert path.read_bytes() == data


def test_writes_make_parents_and_belong_to_the_user(client: AgentClient, test_user: pwd.struct_passwd) -> None:
    reply = client.put("/files", params={"path": "deep/er/note.txt", "user": "user"}, content=b"hi")
    path = f"{test_user.pw_dir}/deep/er/note.txt"
    assert reply.json() == {"path": path, "name": "note.txt", "type": "file"}
    for made in (path, f"{test_user.pw_dir}/deep/er", f"{test_user.pw_dir}/deep"):
        info = os.stat(made)
        assert (info.st_uid, info.st_gid) == (test_user.pw_uid, test_user.pw_gid), made
    read = client.get("/files", params={"path": "deep/er/note.txt", "user": "user"})
    assert read.content == b"hi"


def test_a_rewrite_is_atomic_keeps_the_mode_and_follows_symlinks(client: AgentClient, workdir: Path) -> None:
    script = workdir / "run.sh"
    client.put("/files", params={"path": str(script), "user": "root"}, content=b"old")
    script.chmod(0o750)
    (workdir / "link").symlink_to(script)
    client.put("/files", params={"path": str(workdir / "link"), "user": "root"}, content=b"new")
    assert script.read_bytes() == b"new"
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert (workdir / "link").is_symlink()
    assert sorted(p.name for p in workdir.iterdir()) == ["link", "run.sh"]  # no temporary files left


def test_the_user_gets_403_where_unix_permissions_forbid(client: AgentClient, test_user: pwd.struct_passwd) -> None:
    as_user = {"user": "user"}
    client.expect_error(
        client.put("/files", params={"path": "/root/nope.txt", **as_user}, content=b"x"), 403, "/root/nope.txt"
    )
    client.expect_error(client.get("/files", params={"path": "/etc/shadow", **as_user}), 403, "permission denied")
    client.expect_error(client.post("/files/mkdir", json={"path": "/root/dir", **as_user}), 403)
    assert not os.path.exists("/root/nope.txt")


def test_missing_paths_and_wrong_kinds_get_precise_errors(client: AgentClient, workdir: Path) -> None:
    missing = str(workdir / "missing")
    root = {"user": "root"}
    client.expect_error(client.get("/files", params={"path": missing, **root}), 404)
    assert client.get("/files", params={"path": missing, **root}).json()["message"] == (
        f"no such file or directory: {missing}"
    )
    client.expect_error(client.get("/files/stat", params={"path": missing, **root}), 404, missing)
    client.expect_error(client.get("/files/list", params={"path": missing, **root}), 404, missing)
    client.expect_error(client.delete("/files", params={"path": missing, **root}), 404, missing)
    client.expect_error(client.get("/files", params={"path": str(workdir), **root}), 409, "is a directory")
    client.expect_error(
        client.put("/files", params={"path": str(workdir), **root}, content=b"x"), 409, "is a directory"
    )
    (workdir / "file").write_bytes(b"")
    client.expect_error(
        client.get("/files/list", params={"path": str(workdir / "file"), **root}), 409, "not a directory"
    )
    client.expect_error(
        client.put("/files", params={"path": str(workdir / "file" / "x"), **root}, content=b"x"), 409, "not a directory"
    )


def test_batch_write_streams_every_part_to_its_path(client: AgentClient, workdir: Path) -> None:
    odd = str(workdir / 'we"ird\\ n\u00e4me \u20ac.txt')
    reply = client.post(
        "/files/batch",
        params={"user": "root"},
        files=[
            ("files", (str(workdir / "a.txt"), b"alpha")),
            ("files", (str(workdir / "sub/b.bin"), bytes(range(256)) * 1000)),
            ("files", (odd, b"odd")),
        ],
    )
    assert reply.status_code == 200, reply.text
    assert [info["path"] for info in reply.json()] == [str(workdir / "a.txt"), str(workdir / "sub/b.bin"), odd]
    assert (workdir / "a.txt").read_bytes() == b"alpha"
    assert (workdir / "sub/b.bin").read_bytes() == bytes(range(256)) * 1000
    assert Path(odd).read_bytes() == b"odd"


def test_batch_write_takes_any_boundary(client: AgentClient, workdir: Path) -> None:
    boundary = "a'()+_,-./:=? b"
    target = str(workdir / "c.txt")
    body = (
        f'preamble\r\n--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{target}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nline one\r\n--not the boundary\r\n\r\n--{boundary}--\r\n"
    ).encode()
    reply = client.post(
        "/files/batch",
        params={"user": "root"},
        content=body,
        headers={"Content-Type": f'multipart/form-data; boundary="{boundary}"'},
    )
    assert reply.status_code == 200, reply.text
    assert Path(target).read_bytes() == b"line one\r\n--not the boundary\r\n"
    client.expect_error(
        client.post("/files/batch", params={"user": "root"}, content=b"x", headers={"Content-Type": "text/plain"}),
        400,
        "multipart",
    )


def test_list_descends_to_the_requested_depth_sorted_by_path(client: AgentClient, workdir: Path) -> None:
    (workdir / "sub" / "subsub").mkdir(parents=True)
    (workdir / "b.txt").write_bytes(b"12345")
    (workdir / "sub" / "c.txt").write_bytes(b"")
    (workdir / "sub" / "subsub" / "d.txt").write_bytes(b"")
    (workdir / "a-link").symlink_to(workdir / "sub")

    def listed(depth: int) -> list[str]:
        reply = client.get("/files/list", params={"path": str(workdir), "user": "root", "depth": depth})
        assert reply.status_code == 200, reply.text
        entries = reply.json()
        assert all(set(entry) == ENTRY_KEYS for entry in entries)
        assert [e["path"] for e in entries] == sorted(e["path"] for e in entries)
        return [os.path.relpath(e["path"], workdir) for e in entries]

    assert listed(1) == ["a-link", "b.txt", "sub"]
    assert listed(2) == ["a-link", "b.txt", "sub", "sub/c.txt", "sub/subsub"]
    assert listed(3) == ["a-link", "b.txt", "sub", "sub/c.txt", "sub/subsub", "sub/subsub/d.txt"]
    entries = client.get("/files/list", params={"path": str(workdir), "user": "root"}).json()
    link, file, directory = entries
    assert (link["type"], link["symlinkTarget"], link["name"]) == ("symlink", str(workdir / "sub"), "a-link")
    assert (file["type"], file["size"], file["symlinkTarget"]) == ("file", 5, None)
    assert directory["type"] == "dir"
    client.expect_error(client.get("/files/list", params={"path": str(workdir), "depth": 0, "user": "root"}), 400)
    client.expect_error(client.get("/files/list", params={"path": str(workdir), "depth": "x", "user": "root"}), 400)


def test_stat_describes_without_following_symlinks(client: AgentClient, workdir: Path) -> None:
    target = workdir / "data"
    target.write_bytes(b"abc")
    target.chmod(0o640)
    (workdir / "link").symlink_to("data")
    info = client.get("/files/stat", params={"path": str(target), "user": "root"}).json()
    assert set(info) == ENTRY_KEYS
    assert (info["name"], info["path"], info["type"], info["size"]) == ("data", str(target), "file", 3)
    assert (info["mode"], info["permissions"], info["owner"], info["group"]) == (0o640, "-rw-r-----", "root", "root")
    assert RFC3339_UTC.match(info["modifiedTime"]), info["modifiedTime"]
    link = client.get("/files/stat", params={"path": str(workdir / "link"), "user": "root"}).json()
    assert (link["type"], link["symlinkTarget"], link["permissions"][0]) == ("symlink", "data", "l")


def test_rename_moves_across_file_systems_like_mv(client: AgentClient, workdir: Path) -> None:
    other = Path(tempfile.mkdtemp(dir="/dev/shm"))  # tmpfs: another file system than workdir's
    try:
        (workdir / "far.txt").write_bytes(b"far")
        reply = client.post(
            "/files/rename",
            json={"source": str(workdir / "far.txt"), "destination": str(other / "far.txt"), "user": "root"},
        )
        assert reply.status_code == 200, reply.text
        assert (other / "far.txt").read_bytes() == b"far"
        assert not (workdir / "far.txt").exists()
    finally:
        shutil.rmtree(other)


def test_rename_of_a_directory_into_itself_is_a_conflict(client: AgentClient, workdir: Path) -> None:
    (workdir / "d").mkdir()
    body = {"source": str(workdir / "d"), "destination": str(workdir / "d" / "inside"), "user": "root"}
    client.expect_error(client.post("/files/rename", json=body), 409, "into itself")
    assert (workdir / "d").is_dir()


def test_rename_moves_and_makes_parents(client: AgentClient, workdir: Path) -> None:
    (workdir / "from.txt").write_bytes(b"x")
    destination = str(workdir / "new" / "dir" / "to.txt")
    reply = client.post(
        "/files/rename", json={"source": str(workdir / "from.txt"), "destination": destination, "user": "root"}
    )
    assert reply.status_code == 200, reply.text
    assert (reply.json()["path"], reply.json()["name"]) == (destination, "to.txt")
    assert not (workdir / "from.txt").exists()
    assert Path(destination).read_bytes() == b"x"
    client.expect_error(
        client.post(
            "/files/rename", json={"source": str(workdir / "gone"), "destination": destination, "user": "root"}
        ),
        404,
        str(workdir / "gone"),
    )
    client.expect_error(client.post("/files/rename", json={"source": "x", "user": "root"}), 400, "destination")


def test_mkdir_answers_201_when_made_and_200_when_it_existed(
    client: AgentClient, workdir: Path, test_user: pwd.struct_passwd
) -> None:
    path = str(workdir / "p" / "q")
    made = client.post("/files/mkdir", json={"path": path, "user": "user"})
    assert made.status_code == 201, made.text
    assert (made.json()["type"], made.json()["owner"]) == ("dir", test_user.pw_name)
    assert os.stat(workdir / "p").st_uid == test_user.pw_uid
    again = client.post("/files/mkdir", json={"path": path, "user": "user"})
    assert again.status_code == 200
    assert again.json() == made.json()
    (workdir / "f").write_bytes(b"")
    client.expect_error(client.post("/files/mkdir", json={"path": str(workdir / "f"), "user": "root"}), 409)


def test_remove_takes_files_trees_and_symlinks_but_not_their_targets(client: AgentClient, workdir: Path) -> None:
    (workdir / "tree" / "inner").mkdir(parents=True)
    (workdir / "tree" / "inner" / "f").write_bytes(b"")
    (workdir / "keep").mkdir()
    (workdir / "link").symlink_to(workdir / "keep")
    (workdir / "file").write_bytes(b"")
    for name in ("tree", "link", "file"):
        assert client.delete("/files", params={"path": str(workdir / name), "user": "root"}).status_code == 204
    assert sorted(p.name for p in workdir.iterdir()) == ["keep"]


def test_relative_paths_start_at_the_users_home(client: AgentClient, test_user: pwd.struct_passwd) -> None:
    client.put("/files", params={"path": "rel.txt", "user": "user"}, content=b"r")
    assert Path(test_user.pw_dir, "rel.txt").read_bytes() == b"r"
    info = client.get("/files/stat", params={"path": "./x/../rel.txt", "user": "user"}).json()
    assert info["path"] == f"{test_user.pw_dir}/rel.txt"


def test_a_client_that_disconnects_mid_upload_leaves_no_temp_file(fresh_agent: AgentProcess, workdir: Path) -> None:
    client = fresh_agent.client

    def broken() -> Iterator[bytes]:
        yield b"x" * 65536
        raise RuntimeError("client failure")

    with contextlib.suppress(RuntimeError, httpx.HTTPError):  # chunked: read through the agent
        client.put("/files", params={"path": str(workdir / "half"), "user": "root"}, content=broken())
    with socket.socket(socket.AF_UNIX) as sock:  # with a Content-Length: spliced into the file
        sock.connect(fresh_agent.socket)
        sock.sendall(_put_head(workdir / "cut", 10 * 1024 * 1024) + b"x" * 300_000)
    for _ in range(50):
        if not list(workdir.iterdir()):
            break
        time.sleep(0.05)
    assert list(workdir.iterdir()) == []
    assert client.get("/health").status_code == 200
