"""Volumes against a real server: shared by sandboxes at once, outliving kills and a server crash, bounded
by their file system, separated by tenant, with a files API that needs no sandbox, and hostile input; on
the local backend and on the kubernetes one (the emulated cluster, a real one with KUBECONFIG)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from server_helpers import kill_sandbox_processes, run, spare_server, stray_mounts, wait_for

OCTET = {"content-type": "application/octet-stream"}

pytestmark = pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated+postgresql")
# What needs this host's sandboxes (their processes killed from the host, pause) or a spare local server.
local_only = pytest.mark.backends("local", "local+postgresql")


def _volume(http: httpx.Client, size_mb: int = 64, name: str | None = None) -> dict[str, Any]:
    r = http.post("/volumes", json={"name": name or f"v-{secrets.token_hex(4)}", "sizeMB": size_mb})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _sandbox(http: httpx.Client, mounts: dict[str, str], **fields: Any) -> str:
    body = {"timeout": 600, "volumeMounts": [{"name": v, "path": p} for p, v in mounts.items()], **fields}
    r = http.post("/sandboxes", json=body)
    assert r.status_code == 201, r.text
    assert {m["path"] for m in r.json()["volumeMounts"]} == set(mounts)
    return str(r.json()["sandboxID"])


def _sh(http: httpx.Client, sid: str, cmd: str, user: str = "user") -> dict[str, Any]:
    return run(http, sid, cmd, user=user)


@pytest.fixture(scope="module")
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


@pytest.fixture(scope="module")
def shared(http) -> Iterator[dict[str, Any]]:
    """One volume mounted by two sandboxes at different paths (killed, and the volume deleted, at the end)."""
    vol = _volume(http)
    a = _sandbox(http, {"/data": vol["name"]})
    b = _sandbox(http, {"/mnt/shared": vol["volumeID"]})
    yield {"vol": vol, "a": a, "b": b}
    for sid in (a, b):
        http.delete(f"/sandboxes/{sid}")
    http.delete(f"/volumes/{vol['volumeID']}", params={"force": "true"})


def test_files_api_without_a_sandbox(http):
    vol = _volume(http)
    vid = vol["volumeID"]
    try:
        r = http.put(
            f"/volumes/{vid}/files", params={"path": "/deep/er/f.txt", "mode": 0o600}, content=b"hi", headers=OCTET
        )
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "/deep/er/f.txt" and r.json()["mode"] == 0o600 and r.json()["uid"] == 1000
        assert http.get(f"/volumes/{vol['name']}/files", params={"path": "deep/er/f.txt"}).content == b"hi"
        big = secrets.token_bytes(3 << 20)  # streamed in and out in chunks
        assert http.put(f"/volumes/{vid}/files", params={"path": "big.bin"}, content=big, headers=OCTET).json()[
            "size"
        ] == len(big)
        assert http.get(f"/volumes/{vid}/files", params={"path": "/big.bin"}).content == big
        paths = [e["path"] for e in http.get(f"/volumes/{vid}/files/list", params={"path": "/", "depth": 3}).json()]
        assert paths == ["/big.bin", "/deep", "/deep/er", "/deep/er/f.txt"]
        assert http.get(f"/volumes/{vid}/files/stat", params={"path": "/deep"}).json()["type"] == "dir"
        assert http.post(f"/volumes/{vid}/dirs", params={"path": "/d/e"}).status_code == 201
        assert http.post(f"/volumes/{vid}/dirs", params={"path": "/d/e"}).status_code == 200
        assert http.post(f"/volumes/{vid}/dirs", params={"path": "/big.bin"}).status_code == 409
        assert http.get(f"/volumes/{vid}/files", params={"path": "/deep"}).status_code == 409  # a directory
        assert http.get(f"/volumes/{vid}/files", params={"path": "/nope"}).status_code == 404
        assert http.delete(f"/volumes/{vid}/files", params={"path": "/"}).status_code == 422
        assert http.delete(f"/volumes/{vid}/files", params={"path": "/deep"}).status_code == 204
        assert http.delete(f"/volumes/{vid}/files", params={"path": "/deep"}).status_code == 404
        assert http.get(f"/volumes/{vid}/files/stat", params={"path": "/deep/er/f.txt"}).status_code == 404
        # `..` never leaves the root; a component over NAME_MAX is 422; no temporary file is left anywhere
        assert http.get(f"/volumes/{vid}/files", params={"path": "/../../../big.bin"}).content == big
        assert http.get(f"/volumes/{vid}/files", params={"path": "a" * 300}).status_code == 422
        assert [e["name"] for e in http.get(f"/volumes/{vid}/files/list", params={"path": "/"}).json()] == [
            "big.bin",
            "d",
        ]
        r = http.put(
            f"/volumes/{vid}/files", params={"path": "x"}, content=b"x", headers={"content-type": "text/plain"}
        )
        assert r.status_code == 415
    finally:
        assert http.delete(f"/volumes/{vid}").status_code == 204


def test_symlinks_a_sandbox_leaves_resolve_inside_the_volume(http, shared):
    vid, a = shared["vol"]["volumeID"], shared["b"]  # (before the test that kills the shared sandboxes)
    _sh(http, a, "ln -sfn /etc/passwd /mnt/shared/pw && ln -sfn / /mnt/shared/root && mkdir -p /mnt/shared/etc")
    assert http.get(f"/volumes/{vid}/files", params={"path": "/pw"}).status_code == 404  # no /etc/passwd in it
    assert (
        http.put(f"/volumes/{vid}/files", params={"path": "/root/etc/hosts"}, content=b"in", headers=OCTET).status_code
        == 200
    )
    assert _sh(http, a, "cat /mnt/shared/etc/hosts")["stdout"] == "in"  # written inside the volume, not the host
    assert http.get(f"/volumes/{vid}/files/stat", params={"path": "/pw"}).json()["symlinkTarget"] == "/etc/passwd"
    assert http.delete(f"/volumes/{vid}/files", params={"path": "/root"}).status_code == 204  # the link, not /
    assert http.get(f"/volumes/{vid}/files/stat", params={"path": "/etc/hosts"}).status_code == 200


def test_the_size_limit_is_the_file_system(http):
    vol = _volume(http, size_mb=64)
    vid = vol["volumeID"]
    sid = _sandbox(http, {"/data": vid})
    try:
        full = _sh(http, sid, "dd if=/dev/zero of=/data/fill bs=1M count=200 2>&1; echo rc=$?")
        assert "No space left on device" in full["stdout"] and "rc=1" in full["stdout"], full
        _sh(http, sid, "rm /data/fill && echo old > /data/keep")
        r = http.put(f"/volumes/{vid}/files", params={"path": "keep"}, content=bytes(100 << 20), headers=OCTET)
        assert r.status_code == 507 and "full" in r.json()["message"], r.text
        assert _sh(http, sid, "cat /data/keep; ls -a /data")["stdout"] == "old\n.\n..\nkeep\n"  # old file, no leftovers
    finally:
        http.delete(f"/sandboxes/{sid}")
        http.delete(f"/volumes/{vid}")


def test_volumes_are_the_tenants_own(hutch_server, http):
    vol = _volume(http, name="same-name")
    try:
        with hutch_server.http(hutch_server.api_key_b) as other:
            for ref in (vol["volumeID"], vol["name"]):
                assert other.get(f"/volumes/{ref}").status_code == 404
                assert other.get(f"/volumes/{ref}/files/list", params={"path": "/"}).status_code == 404
                assert (
                    other.put(f"/volumes/{ref}/files", params={"path": "x"}, content=b"x", headers=OCTET).status_code
                    == 404
                )
                assert other.delete(f"/volumes/{ref}").status_code == 404
                r = other.post("/sandboxes", json={"volumeMounts": [{"name": ref, "path": "/data"}]})
                assert r.status_code == 404, r.text
            assert all(v["volumeID"] != vol["volumeID"] for v in other.get("/volumes").json())
            theirs = _volume(other, name="same-name")  # names are per tenant
            assert other.delete(f"/volumes/{theirs['volumeID']}").status_code == 204
        assert http.post("/volumes", json={"name": "same-name"}).status_code == 409
        assert http.get("/volumes/same-name").json()["volumeID"] == vol["volumeID"]
    finally:
        http.delete(f"/volumes/{vol['volumeID']}")


@pytest.mark.parametrize(
    ("mount", "status"),
    [
        ("/", 422), ("/proc", 422), ("/proc/x", 422), ("/opt", 422), ("/opt/hutch/x", 422), ("/tmp/x", 422),
        ("/usr", 422), ("/etc/app", 422), ("/data/../etc", 422), ("/data/", 422), ("//data", 422), ("/data/.", 422),
        ("data", 422), ("/da\x00ta", 422), ("/" + "a" * 300, 422),
    ],
)  # fmt: skip
def test_hostile_mount_paths_are_refused(http, shared, mount, status):
    r = http.post("/sandboxes", json={"volumeMounts": [{"name": shared["vol"]["volumeID"], "path": mount}]})
    assert r.status_code == status, r.text
    assert set(r.json()) == {"code", "message"}


def test_hostile_volumes_and_mount_sets_are_refused(hutch_server, http, shared):
    vid = shared["vol"]["volumeID"]
    before = len(http.get("/sandboxes").json()["sandboxes"])
    cases = [
        ([{"name": vid, "path": "/a"}, {"name": vid, "path": "/b"}], 422, "twice"),
        ([{"name": vid, "path": "/a"}, {"name": "x", "path": "/a"}], 422, "/a"),
        ([{"name": vid, "path": "/a"}, {"name": vid, "path": "/a/b"}], 422, "nested"),
        ([{"name": "no-such-volume", "path": "/a"}], 404, "no-such-volume"),
        ([{"name": vid}], 422, ""),
        ([{"name": vid, "path": "/a", "extra": 1}], 422, ""),
        ([{"name": vid, "path": f"/m{i}"} for i in range(17)], 422, ""),
    ]
    for mounts, status, words in cases:
        r = http.post("/sandboxes", json={"volumeMounts": mounts})
        assert r.status_code == status and words in r.json()["message"], (mounts, r.text)
    assert len(http.get("/sandboxes").json()["sandboxes"]) == before
    for body, status in [
        ({"name": "../x"}, 422), ({"name": ""}, 422), ({"name": "a" * 64}, 422), ({"name": "ok\ud800"}, 400),
        ({"name": "ok", "sizeMB": 1 << 40}, 422), ({"name": "ok", "sizeMB": 63}, 422),
        ({"name": "ok", "sizeMB": "1"}, 422), ({}, 422), ({"name": 5}, 422),
    ] + [
        ({"name": "ok", "sizeMB": 1 << 20}, 507),  # beyond this host's disk (a claim is the cluster's to refuse)
    ] * (hutch_server.kubeconfig is None):  # fmt: skip
        r = http.post(
            "/volumes", content=json.dumps(body), headers={"content-type": "application/json"}
        )  # \ud800 escaped
        assert r.status_code == status, (body, r.text)
    assert all(v["name"] != "ok" for v in http.get("/volumes").json())
    assert http.get(f"/volumes/{vid}/files/list", params={"path": "/", "depth": 99}).status_code in (400, 422)
    assert http.get(f"/volumes/{vid}/files", params={"path": "a\x00b"}).status_code in (400, 422)
    assert http.put(
        f"/volumes/{vid}/files", params={"path": "x", "uid": 70000}, content=b"", headers=OCTET
    ).status_code in (400, 422)


@local_only
def test_two_sandboxes_write_at_once_and_the_files_survive_both(http, shared):
    vid, a, b = shared["vol"]["volumeID"], shared["a"], shared["b"]
    outs: dict[str, dict[str, Any]] = {}
    loop = "for i in $(seq 1 200); do echo {tag}$i >> {dir}/{tag}.log; done; wc -l < {dir}/{tag}.log"
    writers = [
        threading.Thread(target=lambda: outs.update(a=_sh(http, a, loop.format(tag="a", dir="/data")))),
        threading.Thread(target=lambda: outs.update(b=_sh(http, b, loop.format(tag="b", dir="/mnt/shared")))),
    ]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    assert outs["a"]["stdout"] == "200\n" and outs["b"]["stdout"] == "200\n"
    # each sees the other's file, owned by the sandbox user (uid 1000) there too, and may write to it
    seen = _sh(
        http, b, "stat -c '%U %u' /mnt/shared/a.log && echo more >> /mnt/shared/a.log && wc -l < /mnt/shared/a.log"
    )
    assert seen["stdout"] == "user 1000\n201\n", seen
    assert _sh(http, a, "tail -n 1 /data/a.log")["stdout"] == "more\n"
    listing = http.get(f"/volumes/{vid}/files/list", params={"path": "/"}).json()
    assert {(e["name"], e["uid"], e["gid"]) for e in listing} >= {("a.log", 1000, 1000), ("b.log", 1000, 1000)}

    # a sandbox killed from the host, and one killed through the API: the volume keeps every byte
    kill_sandbox_processes(a)
    assert http.delete(f"/sandboxes/{b}").status_code == 204
    body = http.get(f"/volumes/{vid}/files", params={"path": "b.log"}).text
    assert body == "".join(f"b{i}\n" for i in range(1, 201))
    c = _sandbox(http, {"/home/user/work": vid}, timeout=5)  # and one that reaches its timeout
    assert _sh(http, c, "wc -l < work/a.log && echo c > work/c.txt")["stdout"] == "201\n"
    wait_for(lambda: http.get(f"/sandboxes/{c}").status_code == 404, what="the timeout to kill it")
    assert http.get(f"/volumes/{vid}/files", params={"path": "c.txt"}).text == "c\n"


def test_in_use_volume_is_409_unless_forced(http):
    vol = _volume(http)
    sid = _sandbox(http, {"/data": vol["name"]})
    r = http.delete(f"/volumes/{vol['name']}")
    assert r.status_code == 409 and sid in r.json()["message"]
    assert http.delete(f"/volumes/{vol['name']}", params={"force": "true"}).status_code == 204
    assert http.get(f"/sandboxes/{sid}").status_code == 404  # killed with it
    assert http.get(f"/volumes/{vol['volumeID']}").status_code == 404


@pytest.mark.backends("kubernetes-emulated+postgresql", "kubernetes")
def test_two_sandbox_pods_share_a_volume_and_its_data_outlives_every_pod(http):
    """On Kubernetes, each sandbox a pod mounting the volume's claim, and the files API a volume pod's."""
    vid = _volume(http)["volumeID"]
    try:
        a, b = _sandbox(http, {"/data": vid}), _sandbox(http, {"/mnt/shared": vid})
        assert _sh(http, a, "echo from-a > /data/a.txt && id -u")["stdout"] == "1000\n"
        seen = _sh(http, b, "cat /mnt/shared/a.txt && stat -c '%u %a' /mnt/shared /mnt/shared/a.txt")
        assert seen["stdout"] == "from-a\n1000 755\n1000 644\n", seen  # the root is the sandbox user's, as locally
        assert _sh(http, b, "echo from-b >> /mnt/shared/a.txt")["exitCode"] == 0
        assert _sh(http, a, "cat /data/a.txt")["stdout"] == "from-a\nfrom-b\n"
        for sid in (a, b):
            assert http.delete(f"/sandboxes/{sid}").status_code == 204
        # No sandbox: the files API, through the volume pod; then a new pod sees what the API wrote.
        assert http.get(f"/volumes/{vid}/files", params={"path": "a.txt"}).text == "from-a\nfrom-b\n"
        put = http.put(f"/volumes/{vid}/files", params={"path": "/api/x", "mode": 0o640}, content=b"x", headers=OCTET)
        assert put.status_code == 200 and (put.json()["uid"], put.json()["mode"]) == (1000, 0o640), put.text
        c = _sandbox(http, {"/work": vid})
        try:
            out = _sh(http, c, "cat /work/api/x && stat -c '%u %g %a' /work/api/x")
            assert out["stdout"] == "x1000 1000 640\n", out
        finally:
            http.delete(f"/sandboxes/{c}")
    finally:
        http.delete(f"/volumes/{vid}", params={"force": "true"})


@local_only
def test_snapshots_restores_and_forks_mount_the_same_volume_never_a_copy(http):
    vol = _volume(http)
    vid = vol["volumeID"]
    sid = _sandbox(http, {"/data": vid})
    try:
        _sh(http, sid, "head -c 8M /dev/urandom > /data/blob && echo one > /data/note && echo own > ~/own")
        snap = http.post(f"/sandboxes/{sid}/snapshots", json={}).json()
        assert snap["sizeBytes"] < 4 << 20, snap  # the volume's 8 MB are not in it
        assert http.post(f"/sandboxes/{sid}/pause").json()["state"] == "paused"
        paused = [s for s in http.get(f"/sandboxes/{sid}/snapshots").json() if s["kind"] == "pause"]
        assert paused and paused[0]["sizeBytes"] < 4 << 20, paused
        assert http.post(f"/sandboxes/{sid}/resume").json()["state"] == "running"
        forks = http.post(f"/sandboxes/{sid}/fork", json={"count": 1}).json()
        fork = forks[0]["sandbox"]["sandboxID"]
        assert forks[0]["sandbox"]["volumeMounts"] == [{"path": "/data", "volumeID": vid}]
        _sh(http, fork, "echo two >> /data/note")
        assert _sh(http, sid, "cat /data/note")["stdout"] == "one\ntwo\n"
        http.delete(f"/sandboxes/{fork}")
        assert http.delete(f"/sandboxes/{sid}").status_code == 204
        _ = http.put(f"/volumes/{vid}/files", params={"path": "note"}, content=b"three\n", headers=OCTET)
        restored = http.post(f"/sandboxes/{sid}/restore", json={"snapshotID": snap["snapshotID"]})
        assert restored.status_code == 201, restored.text
        rid = restored.json()["sandboxID"]
        assert _sh(http, rid, "cat /data/note ~/own")["stdout"] == "three\nown\n"  # the volume as it is now
        http.delete(f"/sandboxes/{rid}")
        assert http.delete(f"/volumes/{vid}").status_code == 204
        r = http.post(f"/sandboxes/{sid}/restore", json={"snapshotID": snap["snapshotID"]})
        assert r.status_code == 409 and "deleted" in r.json()["message"], r.text
    finally:
        http.delete(f"/snapshots/{snap['snapshotID']}")
        http.delete(f"/volumes/{vid}", params={"force": "true"})


@local_only
def test_a_server_crash_while_a_sandbox_writes_loses_nothing(hutch_server):
    with spare_server(hutch_server) as server:
        server.start()
        with server.http() as http:
            vid = _volume(http)["volumeID"]
            sid = _sandbox(http, {"/data": vid})
            pid = http.post(
                f"/sandboxes/{sid}/commands",
                json={"cmd": "for i in $(seq 1 400); do echo line$i >> /data/log; sleep 0.005; done; echo done"},
            ).json()["pid"]
            wait_for(
                lambda: http.get(f"/volumes/{vid}/files", params={"path": "log"}).status_code == 200, what="writes"
            )
        server.kill9()
        server.start()
        with server.http() as http:
            wait_for(lambda: not http.get(f"/sandboxes/{sid}/commands/{pid}").json()["running"], what="the writer ends")
            expected = "".join(f"line{i}\n" for i in range(1, 401))
            assert http.get(f"/volumes/{vid}/files", params={"path": "log"}).text == expected
            assert _sh(http, sid, "echo after >> /data/log && wc -l < /data/log")["stdout"] == "401\n"  # still mounted
        # A clean stop unmounts the host's side of every volume; the sandbox keeps its own. The next server
        # mounts the loop device the sandbox still holds (a second one would be a second, diverging cache).
        server.stop()
        assert not [m for m in stray_mounts(server.data_dir) if "/volumes/" in m]
        server.start()
        with server.http() as http:
            assert (
                http.put(f"/volumes/{vid}/files", params={"path": "api"}, content=b"1", headers=OCTET).status_code
                == 200
            )
            assert _sh(http, sid, "cat /data/api && echo 2 > /data/box")["stdout"] == "1"
            assert http.get(f"/volumes/{vid}/files", params={"path": "box"}).text == "2\n"
            kill_sandbox_processes(sid)
            assert http.get(f"/volumes/{vid}/files/stat", params={"path": "log"}).json()["size"] == len(expected) + 6
            assert http.delete(f"/volumes/{vid}", params={"force": "true"}).status_code == 204
        assert not [m for m in stray_mounts(server.data_dir) if "/volumes/" in m]
