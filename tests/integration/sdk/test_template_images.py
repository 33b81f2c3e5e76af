"""Templates from OCI images: a registry on loopback (Debian's `docker-registry`), an image this test
makes itself with umoci (a small root filesystem: the host's python3 and bash with their libraries)
and pushes with skopeo, then `Template().from_image(...)` built and booted by a real `hutch serve`
(started with `--image-registry 127.0.0.1`, see tests/integration/conftest.py). An image without a
python3 is refused with the reason."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hutch import BuildException, PermissionDeniedException, Sandbox, Template

pytestmark = pytest.mark.integration

PROGRAMS = ("/usr/bin/python3.11", "/usr/bin/bash", "/usr/bin/cat", "/usr/bin/ls", "/usr/bin/id", "/usr/bin/env")
PYTHON_LIB = Path("/usr/lib/python3.11")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _registry(root: Path, htpasswd: Path | None = None) -> Iterator[str]:
    """Debian's docker-registry on a loopback port, storing under `root`; with `htpasswd`, it asks for a login."""
    for tool in ("docker-registry", "skopeo", "umoci"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: make apt installs it (DEBIAN_PACKAGES)")
    port = _free_port()
    config = root / "config.yml"
    auth = f"auth:\n  htpasswd:\n    realm: hutch-test\n    path: {htpasswd}\n" if htpasswd else ""
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
        + auth
    )
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401):
                    break
            assert time.monotonic() < deadline and proc.poll() is None, "docker-registry did not start"
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _registry(tmp_path_factory.mktemp("registry")) as address:
        yield address


def _libraries(paths: list[Path]) -> set[Path]:
    found: set[Path] = set()
    for path in paths:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            words = line.split()
            lib = next((w for w in words if w.startswith("/")), None)
            if lib is not None:
                found.add(Path(lib))
    return found


def _copy_in(rootfs: Path, path: Path) -> None:
    dest = rootfs / path.relative_to("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, dest, follow_symlinks=True)


def _small_rootfs(rootfs: Path, with_python: bool) -> None:
    for link, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")):
        (rootfs / target).mkdir(parents=True, exist_ok=True)
        (rootfs / link).symlink_to(target)
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "etc" / "os-release").write_text("NAME=hutch-test-mini\n")
    if not with_python:
        return
    programs = [Path(p) for p in PROGRAMS]
    modules = sorted((PYTHON_LIB / "lib-dynload").glob("*.so"))
    for path in [*programs, *_libraries([*programs, *modules])]:
        _copy_in(rootfs, path)
    shutil.copytree(PYTHON_LIB, rootfs / "usr/lib/python3.11", symlinks=True,
                    ignore=shutil.ignore_patterns("test", "idlelib", "tkinter", "ensurepip", "lib2to3"))  # fmt: skip
    (rootfs / "usr/bin/python3").symlink_to("python3.11")
    (rootfs / "usr/bin/sh").symlink_to("bash")


def _push(work: Path, registry: str, name: str, with_python: bool) -> str:
    layout = work / f"{name}-oci"
    bundle = work / f"{name}-bundle"
    subprocess.run(["umoci", "init", "--layout", str(layout)], check=True)
    subprocess.run(["umoci", "new", "--image", f"{layout}:1"], check=True)
    subprocess.run(["umoci", "unpack", "--image", f"{layout}:1", str(bundle)], check=True, capture_output=True)
    _small_rootfs(bundle / "rootfs", with_python)
    subprocess.run(["umoci", "repack", "--image", f"{layout}:1", str(bundle)], check=True)
    subprocess.run(["umoci", "config", "--image", f"{layout}:1", "--config.env", "FROM_IMAGE=yes"], check=True)
    ref = f"{registry}/hutch-test/{name}:1"
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:1", f"docker://{ref}"],
                   check=True)  # fmt: skip
    return ref


@pytest.fixture(scope="module")
def images(registry: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("images")
    return {
        "mini": _push(work, registry, "mini", with_python=True),
        "nopython": _push(work, registry, "nopython", with_python=False),
    }


def test_a_template_from_an_image_on_a_loopback_registry(hutch_env: dict[str, str], images: dict[str, str]) -> None:
    alias = f"from-image-{uuid.uuid4().hex[:8]}"
    template = Template().from_image(images["mini"]).run_cmd("python3 -c 'print(6 * 7)' > /marker", user="root")
    logs: list[str] = []
    info = Template.build(template, alias=alias, on_build_logs=lambda e: logs.append(e.message))
    assert any(f"pulling {images['mini']}" in m for m in logs)
    try:
        with Sandbox.create(alias) as sbx:
            out = sbx.commands.run("cat /marker /etc/os-release; id -un; echo $FROM_IMAGE; python3 -c 'print(1)'")
            assert out.stdout.splitlines() == ["42", "NAME=hutch-test-mini", "user", "yes", "1"]
    finally:
        Template.delete(info.template_id)


def test_an_image_without_python3_is_refused_with_the_reason(hutch_env: dict[str, str], images: dict[str, str]) -> None:
    with pytest.raises(BuildException, match="has no python3"):
        Template.build(Template().from_image(images["nopython"]).run_cmd("true"), alias=f"nopy-{uuid.uuid4().hex[:8]}")


def test_an_image_from_a_registry_the_server_does_not_allow(hutch_env: dict[str, str]) -> None:
    with pytest.raises(PermissionDeniedException, match="pulls images only from"):
        Template.build(Template().from_image("10.1.2.3:5000/internal/app:1").run_cmd("true"))


def _pull_secrets(server) -> dict[str, dict[str, str]]:
    """The image pull secrets in the kubernetes backend's namespace: name -> labels."""
    from kubernetes_asyncio import client, config

    async def listed() -> dict[str, dict[str, str]]:
        cfg = client.Configuration()
        await config.load_kube_config(config_file=server.kubeconfig, client_configuration=cfg)
        async with client.ApiClient(cfg) as api:
            secrets = await client.CoreV1Api(api).list_namespaced_secret(server.kube_namespace)
        return {
            s.metadata.name: s.metadata.labels or {}
            for s in secrets.items
            if s.type == "kubernetes.io/dockerconfigjson"
        }

    return asyncio.run(listed())


USER, PASSWORD = "hutch-test", "s3cret-" + uuid.uuid4().hex
GCP_KEY = '{"type": "service_account", "project_id": "p"}'  # the password of Artifact Registry's `_json_key`


@pytest.fixture(scope="module")
def private_image(images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The `mini` image on a registry that asks for a login (htpasswd, bcrypt): `hutch-test` or `_json_key`."""
    if shutil.which("htpasswd") is None:
        pytest.fail("htpasswd is missing: make apt installs apache2-utils (DEBIAN_PACKAGES)")
    root = tmp_path_factory.mktemp("private-registry")
    logins = root / "htpasswd"
    subprocess.run(["htpasswd", "-Bbc", str(logins), USER, PASSWORD], check=True, capture_output=True)
    subprocess.run(["htpasswd", "-Bb", str(logins), "_json_key", GCP_KEY], check=True, capture_output=True)
    with _registry(root, logins) as address:
        ref = f"{address}/private/mini:1"
        subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                        f"--dest-creds={USER}:{PASSWORD}", f"docker://{images['mini']}", f"docker://{ref}"],
                       check=True)  # fmt: skip
        yield ref


def test_an_image_behind_a_login_its_tags_and_its_stored_log(
    hutch_server, hutch_env: dict[str, str], private_image: str
) -> None:
    alias = f"private-{uuid.uuid4().hex[:8]}"
    with pytest.raises(BuildException, match=r"pulling .* failed"):
        Template.build(Template().from_image(private_image).run_cmd("true"), alias=alias + "-anon")
    with pytest.raises(BuildException, match=r"pulling .* failed"):
        Template.build(Template().from_image(private_image, username=USER, password="wrong").run_cmd("true"))
    login = Template().from_image(private_image, username=USER, password=PASSWORD)
    info = Template.build(login.run_cmd("echo private > /marker", user="root"), alias=alias, tags=["v1", "stable"])
    try:
        assert Template.get(alias).tags == ["v1", "stable"]
        with Sandbox.create(alias) as sbx:
            assert sbx.commands.run("cat /marker").stdout == "private\n"
        logged = Template.get_build_status(info, logs_offset=0).log_entries
        assert any(f"pulling {private_image}" in e.message for e in logged)
        hutch_server.restart(crash=False)  # the log outlives the server process
        again = Template.get_build_status(info, logs_offset=0).log_entries
        assert [e.message for e in again] == [e.message for e in logged]
        assert [e.message for e in Template.get_build_status(info, logs_offset=2).log_entries] == [
            e.message for e in logged[2:]
        ]
        if hutch_server.kubeconfig:  # the login is the pods' imagePullSecret, labelled as hutch's
            assert [labels["app.kubernetes.io/managed-by"] for labels in _pull_secrets(hutch_server).values()] == [
                "hutch"
            ]
        gcp = Template().from_gcp_registry(private_image, json.loads(GCP_KEY)).run_cmd("echo gcp > /tmp/x")
        pulled: list[str] = []  # skip_cache: pulled again, with the `_json_key` login
        Template.build(gcp, alias=alias, skip_cache=True, on_build_logs=lambda e: pulled.append(e.message))
        assert any(f"pulling {private_image}" in m for m in pulled)
        assert Template.get(alias).tags == [], "the tags of the build that made the present content"
    finally:
        Template.delete(info.template_id)
    if hutch_server.kubeconfig:
        assert _pull_secrets(hutch_server) == {}, "the pull secrets went with the template's image layers"
    logs = [server.log_path for server in getattr(hutch_server, "replicas", [hutch_server])]
    stored = [*logs, *hutch_server.data_dir.rglob("*.jsonl"), *hutch_server.data_dir.rglob("*.json")]
    for path in stored:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and b"project_id" not in data, f"a credential is in {path}"
    database = hutch_server.stored()  # every table, SQLite or PostgreSQL
    assert PASSWORD.encode() not in database and b"project_id" not in database, "a credential is in the database"
    pulls = hutch_server.data_dir / "template-pulls"
    assert not pulls.exists() or not list(pulls.iterdir()), "the auth file went with the pull"
