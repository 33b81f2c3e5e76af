"""The agent's host-internal volume routes (hutch_agent/volume_routes.py), which a kubernetes volume pod
serves the server's volume files API with: volumefiles.py on a directory given as the volume's root,
failures answered with the errno (or the refusal) the server words as it does for a volume of its
host, and what they cannot parse refused (400) without harming the agent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import AgentClient


@pytest.fixture
def root(tmp_path: Path) -> Path:
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "pw").symlink_to("/etc/passwd")  # as hostile code in a sandbox that mounts it could leave
    return volume


def test_the_files_of_a_volume_root(client: AgentClient, root: Path) -> None:
    base = {"root": str(root)}
    owner = {"uid": 1000, "gid": 1001, "mode": 0o640}
    put = client.put("/volume/file", params={**base, "path": "/d/f.txt", **owner}, content=b"hi")
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in ("path", "size", "uid", "gid", "mode")} == {
        "path": "/d/f.txt", "size": 2, "uid": 1000, "gid": 1001, "mode": 0o640,
    }  # fmt: skip
    st = os.stat(root / "d" / "f.txt")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1000, 1001, 0o640)  # a pod's ids are the sandboxes'
    assert (os.stat(root / "d").st_uid, os.stat(root / "d").st_mode & 0o777) == (1000, 0o755)
    assert client.get("/volume/file", params={**base, "path": "d/../d/f.txt"}).content == b"hi"
    listed = client.get("/volume/list", params={**base, "path": "/", "depth": 2}).json()
    assert [e["path"] for e in listed] == ["/d", "/d/f.txt", "/pw"]
    made = client.post("/volume/dir", params={**base, "path": "/d/e", **owner})
    assert made.status_code == 201 and made.json()["type"] == "dir"
    assert client.post("/volume/dir", params={**base, "path": "/d/e", **owner}).status_code == 200
    assert client.delete("/volume/file", params={**base, "path": "/d"}).status_code == 204
    assert list(root.iterdir()) == [root / "pw"]


def test_failures_carry_what_the_server_words_them_from(client: AgentClient, root: Path) -> None:
    base = {"root": str(root)}
    missing = client.get("/volume/stat", params={**base, "path": "/nope"})
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404, "message": "no such file or directory: /nope", "errno": 2, "strerror": "No such file or directory",
    }  # fmt: skip
    # The symlink resolves inside the root, where there is no /etc/passwd.
    assert client.get("/volume/file", params={**base, "path": "/pw"}).json()["errno"] == 2
    client.put("/volume/file", params={**base, "path": "/f", "uid": 0, "gid": 0, "mode": 0o644}, content=b"x")
    assert client.get("/volume/list", params={**base, "path": "/f", "depth": 1}).json()["errno"] == 20
    refused = client.delete("/volume/file", params={**base, "path": "/"})
    assert refused.status_code == 422 and refused.json()["invalid"] == "refusing to remove the volume's root directory"


@pytest.mark.parametrize(
    ("method", "route", "params"),
    [
        ("GET", "/volume/stat", {"path": "/"}),  # no root
        ("GET", "/volume/stat", {"root": "ROOT\x00x", "path": "/"}),
        ("GET", "/volume/list", {"root": "ROOT", "path": "/", "depth": "deep"}),
        ("GET", "/volume/list", {"root": "ROOT", "path": "/", "depth": "9" * 40}),
        ("POST", "/volume/dir", {"root": "ROOT", "path": "/x", "uid": "-1", "gid": "0", "mode": "493"}),
        ("PUT", "/volume/file", {"root": "ROOT", "path": "/x", "uid": "0", "gid": "0"}),  # no mode
        ("PUT", "/volume/file", {"root": "ROOT", "path": "/x\x00", "uid": "0", "gid": "0", "mode": "420"}),
    ],
)
def test_what_cannot_be_parsed_is_400(
    client: AgentClient, root: Path, method: str, route: str, params: dict[str, str]
) -> None:
    params = {k: v.replace("ROOT", str(root)) for k, v in params.items()}
    client.expect_error(client.request(method, route, params=params, content=b"x"), 400, "query parameter")
    assert list(root.iterdir()) == [root / "pw"]  # nothing made by a refused call
    assert client.get("/health").status_code == 200
