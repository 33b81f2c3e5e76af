"""Template and AsyncTemplate against a respx-mocked server, and what the builder sends (steps, copy
tarballs, Dockerfiles)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from sdk_fakes import STAMP, sent_json

from hutch import (
    AsyncTemplate,
    BuildException,
    InvalidArgumentException,
    LogEntryEnd,
    LogEntryStart,
    Template,
    wait_for_file,
    wait_for_port,
    wait_for_process,
    wait_for_url,
)
from hutch._features.templates import serialize


def _members(data: bytes) -> dict[str, tuple[int, bytes | None]]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        out = {}
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isfile() else None
            out[m.name] = (m.mode, f.read() if f else None)
        return out


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "app" / "lib").mkdir(parents=True)
    (tmp_path / "app" / "main.py").write_text("print(1)\n")
    (tmp_path / "app" / "lib" / "x.py").write_text("X = 1\n")
    (tmp_path / "app" / "debug.log").write_text("noise\n")
    (tmp_path / "one.txt").write_text("one\n")
    (tmp_path / ".dockerignore").write_text("# logs\n*.log\n")
    return tmp_path


def test_builder_steps_are_e2bs(context: Path) -> None:
    t = (
        Template(file_context_path=context)
        .from_template("nodejs")
        .apt_install(["jq", "curl"], no_install_recommends=True)
        .pip_install("numpy")
        .pip_install(["a", "b"], g=False)
        .npm_install("express", g=True)
        .run_cmd(["make", "make install"], user="root")
        .set_envs({"A": "1"})
        .set_workdir("/srv")
        .set_user("root")
        .skip_cache()
        .run_cmd("echo again")
        .set_start_cmd("node server.js", wait_for_port(3000))
    )
    body, uploads = serialize(t, "my-env", {"cpu_count": 2, "memory_mb": 2048})
    assert uploads == []
    assert body["fromTemplate"] == "nodejs" and body["alias"] == "my-env"
    assert (body["cpuCount"], body["memoryMB"]) == (2, 2048)
    assert body["startCmd"] == "node server.js"
    assert body["readyCmd"] == '[ -n "$(ss -Htuln sport = :3000)" ]'
    assert body["steps"] == [
        {"type": "run", "user": "root", "cmd": "apt-get update && DEBIAN_FRONTEND=noninteractive "
         "DEBCONF_NOWARNINGS=yes apt-get install -y --no-install-recommends jq curl"},
        {"type": "run", "cmd": "pip install numpy", "user": "root"},
        {"type": "run", "cmd": "pip install --user a b"},
        {"type": "run", "cmd": "npm install -g express", "user": "root"},
        {"type": "run", "cmd": "make && make install", "user": "root"},
        {"type": "env", "envs": {"A": "1"}},
        {"type": "workdir", "path": "/srv"},
        {"type": "user", "user": "root"},
        {"type": "run", "cmd": "echo again", "force": True},
    ]  # fmt: skip
    assert serialize(Template().from_base_image(), None, {"skip_cache": True})[0] == {"steps": [], "skipCache": True}
    assert serialize(Template().from_image("python:3.12"), None, {})[0]["fromImage"] == "python:3.12"


def test_registry_logins_and_tags(tmp_path: Path) -> None:
    body, _ = serialize(Template().from_image("r.example/a:1", username="u", password="p"), "x", {"tags": ["v1"]})
    assert body["fromImageRegistry"] == {"type": "registry", "username": "u", "password": "p"}
    assert (body["alias"], body["tags"]) == ("x", ["v1"])
    with pytest.raises(InvalidArgumentException, match="both username and password"):
        Template().from_image("r.example/a:1", username="u")
    (tmp_path / "key.json").write_text('{"type": "service_account"}')
    from_file = Template(file_context_path=tmp_path).from_gcp_registry("gcr.io/p/a:1", "key.json")
    from_dict = Template().from_gcp_registry("gcr.io/p/a:1", {"type": "service_account"})
    for t in (from_file, from_dict):
        assert serialize(t, None, {})[0]["fromImageRegistry"] == {
            "type": "gcp",
            "serviceAccountJson": '{"type": "service_account"}',
        }
    again = Template()
    again.from_image("r.example/a:1", username="u", password="p")
    assert "fromImageRegistry" not in serialize(again.from_template("base"), None, {})[0], "a later FROM drops it"


def test_ready_checks() -> None:
    assert wait_for_url("http://localhost:3000/h", 204).get_cmd().endswith('| grep -q "204"')
    assert wait_for_process("nginx").get_cmd() == "pgrep nginx > /dev/null"
    assert wait_for_file("/tmp/a b").get_cmd() == "[ -f '/tmp/a b' ]"


def test_only_the_two_sandbox_users() -> None:
    with pytest.raises(InvalidArgumentException, match="'user' and 'root'"):
        Template().from_base_image().set_user("www-data")


def test_copy_packs_a_folder_and_a_file_deterministically(context: Path) -> None:
    t = (
        Template(file_context_path=context)
        .from_base_image()
        .copy("app", "/opt/app", mode=0o755)
        .copy("one.txt", "/etc/renamed.conf", user="root")
    )
    body, uploads = serialize(t, None, {})
    folder, single = body["steps"]
    assert folder == {"type": "copy", "dest": "/opt/app", "filesHash": uploads[0].files_hash, "mode": 0o755}
    assert single == {"type": "copy", "dest": "/etc", "filesHash": uploads[1].files_hash, "user": "root"}
    assert hashlib.sha256(uploads[0].data).hexdigest() == uploads[0].files_hash
    assert set(_members(uploads[0].data)) == {"lib", "lib/x.py", "main.py"}  # debug.log: .dockerignore
    assert _members(uploads[1].data)["renamed.conf"][1] == b"one\n"
    again, _ = serialize(t, None, {})
    assert again == body, "the same files give the same digest (and so the same cache key)"


def test_copy_refuses_paths_outside_the_context(context: Path) -> None:
    for src in ("../etc/passwd", "/etc/passwd", "missing.txt"):
        with pytest.raises(InvalidArgumentException):
            serialize(Template(file_context_path=context).from_base_image().copy(src, "/x"), None, {})


def test_dockerfile(context: Path) -> None:
    dockerfile = (
        "# syntax comment\n"
        "FROM python:3.12-slim AS app\n"
        "ARG V=1\n"
        'ENV A="x ${V}" B=2\n'
        "ENV OLD form value\n"
        "COPY --chown=user --chmod=600 one.txt /srv/\n"
        "WORKDIR /srv\n"
        "RUN echo $A && \\\n"
        "    echo done\n"
        'ENTRYPOINT ["python3"]\n'
        'CMD ["-m", "http.server"]\n'
    )
    body, _ = serialize(Template(file_context_path=context).from_dockerfile(dockerfile), None, {})
    assert body["fromImage"] == "python:3.12-slim"
    kinds = [(s["type"], s.get("cmd") or s.get("path") or s.get("dest") or s.get("user") or s.get("envs"))
             for s in body["steps"]]  # fmt: skip
    assert kinds == [
        ("user", "root"), ("workdir", "/"), ("env", {"A": "x 1", "B": "2"}), ("env", {"OLD": "form value"}),
        ("copy", "/srv"), ("workdir", "/srv"), ("run", "export V=1; echo $A &&      echo done"), ("user", "user"),
    ]  # fmt: skip
    assert body["steps"][4]["mode"] == 0o600 and body["steps"][4]["user"] == "user"
    assert body["startCmd"] == "python3 -m http.server"
    assert serialize(Template().from_dockerfile("FROM nodejs\nRUN true"), None, {})[0]["fromTemplate"] == "nodejs"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("FROM base\nRUN true\nEXPOSE 80\n", 3, "EXPOSE is not supported"),
        ("FROM base\nHEALTHCHECK CMD true\n", 2, "HEALTHCHECK"),
        ("FROM base AS a\nFROM a\n", 2, "multi-stage"),
        ("RUN true\nFROM base\n", 1, "before FROM"),
        ("FROM base\nADD https://example.com/x /x\n", 2, "URL"),
        ("FROM base\nCOPY --from=build /a /b\n", 2, "--from"),
        ("FROM base\nUSER nobody\n", 2, "'user' and 'root'"),
        ("# nothing\n", 1, "no FROM"),
    ],
)
def test_dockerfile_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InvalidArgumentException, match=f"line {line}: .*{words}"):
        Template().from_dockerfile(text)


def _status(status: str, entries: list[str], offset: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "templateID": "tpl-1", "buildID": "bld-1", "status": status, "logsOffset": offset, "stepsDone": 1,
        "stepsTotal": 2, "logEntries": [{"timestamp": STAMP, "level": "info", "message": m} for m in entries], **extra,
    }  # fmt: skip


@pytest.mark.parametrize("flavor", ["sync", "async"])
async def test_build_uploads_starts_and_follows(flavor: str, api, context: Path) -> None:
    cls = Template if flavor == "sync" else AsyncTemplate
    t = cls(file_context_path=context).from_base_image().copy("one.txt", "/x/").run_cmd("true")
    upload = api.put(url__regex=r"/template-files/[0-9a-f]{64}").respond(201, json={"filesHash": "x", "sizeBytes": 1})
    started = api.post("/templates").respond(202, json={"templateID": "tpl-1", "buildID": "bld-1", "alias": "env"})
    follow = api.get("/templates/tpl-1/builds/bld-1")
    follow.side_effect = [
        httpx.Response(200, json=_status("building", ["[1/2] FROM base"])),
        httpx.Response(200, json=_status("ready", ["done"], offset=1)),
    ]
    seen: list[Any] = []
    result = cls.build(t, alias="env", on_build_logs=seen.append)
    info = await result if flavor == "async" else result
    assert (info.template_id, info.build_id, info.alias) == ("tpl-1", "bld-1", "env")
    assert upload.call_count == 1 and sent_json(started)["alias"] == "env"
    assert follow.calls[1].request.url.params["logsOffset"] == "1"
    assert isinstance(seen[0], LogEntryStart) and isinstance(seen[-1], LogEntryEnd)
    assert [e.message for e in seen[1:-1]] == ["[1/2] FROM base", "done"]


@pytest.mark.parametrize("flavor", ["sync", "async"])
async def test_a_failed_build_raises_with_its_reason(flavor: str, api) -> None:
    cls = Template if flavor == "sync" else AsyncTemplate
    api.post("/templates").respond(202, json={"templateID": "tpl-1", "buildID": "bld-1", "alias": None})
    reason = {"message": "step 2 (RUN false) failed with exit code 1:\nboom", "step": 2, "exitCode": 1,
              "outputTail": "boom"}  # fmt: skip
    api.get("/templates/tpl-1/builds/bld-1").respond(200, json=_status("error", ["boom"], reason=reason))
    with pytest.raises(BuildException, match="exit code 1") as caught:
        result = cls.build(cls().from_base_image().run_cmd("false"))
        await result if flavor == "async" else result
    assert (caught.value.reason.step, caught.value.reason.exit_code, caught.value.reason.output_tail) == (2, 1, "boom")


@pytest.mark.parametrize("flavor", ["sync", "async"])
async def test_list_get_exists_delete(flavor: str, api) -> None:
    cls = Template if flavor == "sync" else AsyncTemplate

    async def call(value: Any) -> Any:
        return await value if flavor == "async" else value

    one = {"templateID": "tpl-1", "kind": "build", "ready": True, "createdAt": STAMP, "aliases": ["env"],
           "cpuCount": 2, "startCmd": "serve"}  # fmt: skip
    api.get("/templates").respond(200, json=[one])
    api.get("/templates/env").respond(200, json=one)
    api.get("/templates/aliases/env").respond(200, json={"alias": "env", "templateID": "tpl-1"})
    api.get("/templates/aliases/nope").respond(404, json={"code": 404, "message": "no template has the alias nope"})
    api.delete("/templates/env").respond(204)
    api.delete("/templates/gone").respond(404, json={"code": 404, "message": "template gone not found"})
    listed = await call(cls.list())
    assert [(t.template_id, t.name, t.cpu_count, t.start_cmd) for t in listed] == [("tpl-1", "env", 2, "serve")]
    assert (await call(cls.get("env"))).aliases == ["env"]
    assert await call(cls.exists("env")) is True
    assert await call(cls.alias_exists("nope")) is False
    assert await call(cls.delete("env")) is True
    assert await call(cls.delete("gone")) is False
    assert json.loads(api.calls[-1].request.content or b"null") is None
