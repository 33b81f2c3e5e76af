"""Template builds: a tenant's template made from a base (a hutch template or an OCI image) and steps.

Each step that changes files runs in a sandbox of its own, booted from the layer before it with the
build's network policy, and its upper dir becomes the next overlay layer (`tpl-lyr-<key>`). The key
is a hash of everything the layer depends on (the tenant, the layer below, the step, the state the
step sees: envs, user, working directory, uploaded files by digest), so an unchanged prefix of steps
is found on disk and not run again, and a rebuild of an unchanged template only repoints it. A
template is a layer of no files on top of its last layer (TemplateStore.point), replaced in one
rename when a build finishes: a failed build leaves the previous content, and the layers it did
finish only as cache. Builds of one template run one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import shlex
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hutchd.agentconn import AgentClients, AgentError
from hutchd.auth import Tenant
from hutchd.backend import DEFAULT_CPU, DEFAULT_MEMORY_MB, Backend, Boot
from hutchd.http.errors import ApiError, conflict, not_found
from hutchd.runtime import RuntimeUnavailable, TemplateBuildError, images
from hutchd.runtime.errors import SnapshotExists
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.runtime.templates import RECIPES
from hutchd.services import network_settings
from hutchd.services.template_sandboxes import DEFAULT_READY_TIMEOUT, config, own
from hutchd.services.warm_pool import WarmPool
from hutchd.store import ids
from hutchd.store.db import Conflict, Database, dumps, now
from hutchd.store.records import rfc3339

log = logging.getLogger("hutchd.templates")

LAYER_PREFIX = "tpl-lyr-"
IMAGE_PREFIX = "tpl-img-"
BUILD_DISK_MB = 8192
MAX_BUILDS_PER_TENANT = 2
KEEP_FINISHED_BUILDS = 200  # builds whose logs stay in memory (all are in their log files)
MAX_LOG_ENTRIES = 50_000
MAX_LOG_BYTES = 16 * 1024 * 1024  # of one build's stored log
KEEP_LOG_FILES = 1000  # stored build logs, the newest; older ones go (their builds' status stays)
TAIL_LINES = 20
EXISTING_DIRS = ("/", "/root", "/home/user", "/tmp")  # a WORKDIR of these makes no layer
COPY_TARBALL = "/tmp/.hutch-copy.tgz"
CA_BUNDLE = "/tmp/.hutch-build-ca.crt"
CA_VARIABLES = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE",
                "GIT_SSL_CAINFO")  # fmt: skip
FILE_CHUNK = 1024 * 1024


class StepFailed(Exception):
    def __init__(self, reason: dict[str, Any]) -> None:
        super().__init__(reason["message"])
        self.reason = reason


@dataclass
class StepState:
    """What a step sees of the steps before it."""

    envs: dict[str, str] = field(default_factory=dict)
    user: str = "user"
    workdir: str | None = None


@dataclass
class Options:
    cpu: float
    memory_mb: int
    allow_internet: bool
    network: NetworkPolicy | None
    skip_cache: bool
    scope: str  # whose layers: a tenant's, or the built-ins'
    files: Path | None  # where the tenant's uploaded files are
    login: images.Login | None = None  # for fromImage's registry: in memory for the pull, never stored


@dataclass
class Build:
    """A build in progress, or finished a short while ago: its log in memory, and in `log_file` (one
    JSON entry a line) for after a restart or once it is forgotten here."""

    id: str
    template_id: str
    tenant_id: str
    steps_total: int
    log_file: Path
    logs: list[dict[str, str]] = field(default_factory=list)
    done: bool = False
    cut: bool = False
    stored_bytes: int = 0

    def log(self, message: str, level: str = "info") -> None:
        if self.cut:
            return
        if len(self.logs) >= MAX_LOG_ENTRIES or self.stored_bytes >= MAX_LOG_BYTES:
            self.cut = True
            level, message = "warn", "(the log is cut here)"
        entry = {"timestamp": rfc3339(now()), "level": level, "message": message}
        self.logs.append(entry)
        line = json.dumps(entry) + "\n"
        self.stored_bytes += len(line)
        try:
            with open(self.log_file, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError as e:  # a full disk loses the stored log, not the build
            log.warning("storing the log of build %s failed: %s", self.id, e)


def describe(step: dict[str, Any]) -> str:
    kind = step["type"]
    if kind == "run":
        text = f"RUN {step['cmd']}"
    elif kind == "copy":
        text = f"COPY {step['filesHash'][:12]} {step['dest']}"
    elif kind == "env":
        text = "ENV " + " ".join(f"{k}={v}" for k, v in step["envs"].items())
    elif kind == "workdir":
        text = f"WORKDIR {step['path']}"
    else:
        text = f"USER {step['user']}"
    return text if len(text) <= 200 else text[:197] + "..."


class TemplateBuilds:
    def __init__(
        self,
        db: Database,
        backend: Backend,
        agents: AgentClients,
        pool: WarmPool,
        data_dir: Path,
        registries: tuple[str, ...],
        ca_bundle: Path | None = None,
        *,
        owner: str,
        replica: str,
    ) -> None:
        self._owner = owner  # a build runs on the replica that took it; its record says which
        self._replica = replica  # and which process of it: only that one's death ends the build
        self._registries = registries
        self._ca_bundle = ca_bundle
        self._db = db
        self._backend = backend
        self._agents = agents
        self._pool = pool
        self._files = data_dir / "template-files"
        self._logs = data_dir / "template-logs"
        self._builds: dict[str, Build] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lookups

    def alias_of(self, tenant: Tenant, alias: str) -> str:
        if alias in RECIPES:
            return alias
        row = self._db.one("SELECT id FROM templates WHERE tenant = ? AND alias = ?", tenant.id, alias)
        if row is None:
            raise not_found(f"no template has the alias {alias}")
        return str(row["id"])

    # ------------------------------------------------------------------ uploaded files

    def _tenant_files(self, tenant_id: str) -> Path:
        return self._files / hashlib.sha256(tenant_id.encode()).hexdigest()[:24]

    async def store_files(
        self, tenant: Tenant, files_hash: str, chunks: AsyncIterator[bytes], limit: int | None
    ) -> dict[str, Any]:
        """Keep an upload under its SHA-256 for this tenant's builds (422 if the body has another)."""
        folder = self._tenant_files(tenant.id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".upload-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise ApiError(413, f"the upload is larger than the limit of {limit} bytes")
                    digest.update(chunk)
                    f.write(chunk)
            if digest.hexdigest() != files_hash:
                raise conflict(f"the body's SHA-256 is {digest.hexdigest()}, not {files_hash}")
            os.replace(tmp, folder / files_hash)
        except OSError as e:
            if e.errno == 28:
                raise ApiError(507, "the server's disk is full") from e
            raise
        finally:
            tmp.unlink(missing_ok=True)
        return {"filesHash": files_hash, "sizeBytes": size}

    # ------------------------------------------------------------------ builds

    def start(self, tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
        """Check the request, record the build (and, for a new template, the template) and start it."""
        self._backend.require("templateBuilds", "build templates")
        steps: list[dict[str, Any]] = body.get("steps", [])
        if "fromTemplate" in body and "fromImage" in body:
            raise conflict("give fromTemplate or fromImage, not both")
        if "fromImageRegistry" in body and "fromImage" not in body:
            raise conflict("fromImageRegistry is the login for fromImage's registry; give fromImage too")
        files = self._tenant_files(tenant.id)
        for n, step in enumerate(steps, 1):
            if step["type"] == "copy" and not (files / step["filesHash"]).is_file():
                raise not_found(
                    f"steps[{n - 1}] copies files {step['filesHash']} that were not uploaded (uploadTemplateFiles)"
                )
        base = self._base_ref(tenant, body)
        running = sum(1 for b in self._builds.values() if b.tenant_id == tenant.id and not b.done)
        if running >= MAX_BUILDS_PER_TENANT:
            raise ApiError(
                429,
                f"you have {running} template builds in progress (the limit); retry once one ended",
                {"Retry-After": "5"},
            )
        alias = body.get("alias")
        if alias in RECIPES:
            raise conflict(f"{alias} is the name of a built-in template; choose another alias")
        policy = network_settings.launch_policy(body)
        options = Options(
            cpu=float(body.get("cpuCount", DEFAULT_CPU)),
            memory_mb=int(body.get("memoryMB", DEFAULT_MEMORY_MB)),
            allow_internet=policy is None or not policy.denies_everything,
            network=policy,
            skip_cache=bool(body.get("skipCache", False)),
            scope=tenant.id,
            files=files,
            login=_login(body.get("fromImageRegistry")),
        )
        build_id = "bld-" + secrets.token_hex(8)
        config = {
            "envs": {},
            "user": "user",
            "workdir": None,
            "startCmd": body.get("startCmd"),
            "readyCmd": body.get("readyCmd"),
            "readyTimeout": body.get("readyTimeout", DEFAULT_READY_TIMEOUT),
            "cpuCount": body.get("cpuCount"),
            "memoryMB": body.get("memoryMB"),
            "tags": body.get("tags", []),
        }
        template_id = self._record_build(tenant, alias, (build_id, len(steps) + 1, f"built from {base[1]}"), config)
        build = Build(id=build_id, template_id=template_id, tenant_id=tenant.id, steps_total=len(steps) + 1,
                      log_file=self._logs / f"{build_id}.jsonl")  # fmt: skip
        self._builds[build.id] = build
        finished = [b.id for b in self._builds.values() if b.done]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED_BUILDS)]:
            del self._builds[old]  # its status stays in the database, its log in its file
        self._prune_logs()
        task = asyncio.create_task(self._run(build, base, steps, config, options), name=f"build-{build.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return {"templateID": template_id, "buildID": build.id, "alias": alias}

    def _record_build(
        self, tenant: Tenant, alias: str | None, build: tuple[str, int, str], config: dict[str, Any]
    ) -> str:
        """The build's row (`build`: its ID, step count, description), and its template's when the alias
        names none yet, in one transaction; the template's ID. A build of the same new alias on another
        replica may insert the template first: the alias's unique constraint says so, and this build is
        then of that template."""
        try:
            return self._insert_build(tenant, alias, build, config)
        except Conflict as e:
            if e.table != "templates":
                raise
            return self._insert_build(tenant, alias, build, config)  # the alias names that template now

    def _insert_build(
        self, tenant: Tenant, alias: str | None, build: tuple[str, int, str], config: dict[str, Any]
    ) -> str:
        build_id, steps_total, description = build
        row = None
        if alias is not None:
            row = self._db.one("SELECT id FROM templates WHERE tenant = ? AND alias = ?", tenant.id, alias)
        template_id = str(row["id"]) if row is not None else ids.template_id()
        with self._db.tx():
            if row is None:
                self._db.run(
                    "INSERT INTO templates (id, tenant, kind, description, created_at, alias, config)"
                    " VALUES (?, ?, 'build', ?, ?, ?, ?)",
                    template_id, tenant.id, description, now(), alias, dumps(config),
                )  # fmt: skip
            self._db.run(
                "INSERT INTO template_builds (id, tenant, template_id, status, created_at, steps_total, owner, replica)"
                " VALUES (?, ?, ?, 'building', ?, ?, ?, ?)",
                build_id, tenant.id, template_id, now(), steps_total, self._owner, self._replica,
            )  # fmt: skip
        return template_id

    def _base_ref(self, tenant: Tenant, body: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
        """("template", runtime template to build on, its envs) or ("image", reference, {})."""
        if "fromImage" in body:
            ref = str(body["fromImage"])
            registry = images.registry_of(ref)
            if registry not in self._registries and registry.rsplit(":", 1)[0] not in self._registries:
                raise ApiError(
                    403,
                    f"this server pulls images only from {', '.join(self._registries)}, not {registry} "
                    "(hutch serve --image-registry adds one)",
                )
            return ("image", ref, {})
        ref = str(body.get("fromTemplate", "base"))
        if ref in RECIPES:
            return ("template", ref, {})
        row = own(self._db, tenant, ref)
        if row is None:
            raise not_found(f"template {ref} not found; listTemplates shows the ones you can build on")
        if row["kind"] == "build":
            if row["build_id"] is None:
                raise conflict(f"template {ref} has not finished its first build")
            # on its present top layer, so that a later rebuild or delete of it leaves this one alone
            parent = self._backend.templates.parent(row["id"])
            return ("template", parent or str(row["id"]), dict(config(row).get("envs") or {}))
        return ("template", str(row["id"]), {})

    async def _run(
        self,
        build: Build,
        base: tuple[str, str, dict[str, str]],
        steps: list[dict[str, Any]],
        config: dict[str, Any],
        opts: Options,
    ) -> None:
        lock = self._locks[build.template_id]
        if lock.locked():
            build.log("waiting for the build of this template that started before")
        reason: dict[str, Any] | None = None
        async with lock:
            started = time.monotonic()
            try:
                kind, ref, inherited = base
                if kind == "image":
                    layer = await self._image_layer(build, ref, opts)
                else:
                    layer = await self._template_layer(ref)
                meta = self._backend.template_meta(layer) or {}
                state = StepState(envs={**(meta.get("env") or {}), **inherited})  # an image's or a template's ENV
                self._progress(build, 1, f"[1/{build.steps_total}] FROM {ref}")
                top, state = await self._layers(build, layer, steps, state, opts, first=2)
                config = {**config, "envs": state.envs, "user": state.user, "workdir": state.workdir}
                await self._backend.point_template(build.template_id, top, {"build": build.id}, state.envs)
                self._db.run(
                    "UPDATE templates SET config = ?, build_id = ?, created_at = ? WHERE id = ?",
                    dumps(config), build.id, now(), build.template_id,
                )  # fmt: skip
                # the pool's sandboxes of the old content (and start command) go before the build is done
                await self._pool.refresh(build.template_id)
                self._finish(build, "ready", None)
                build.log(f"template {build.template_id} ready in {time.monotonic() - started:.1f}s")
                return
            except StepFailed as e:
                reason = e.reason
            except (TemplateBuildError, RuntimeUnavailable, AgentError, ApiError) as e:
                reason = {"message": str(e)}
            except Exception as e:
                log.exception("build %s failed", build.id)
                reason = {"message": f"the build failed: {e!r}"}
            build.log(reason["message"], "error")
            with self._db.tx():
                self._db.run(
                    "DELETE FROM templates WHERE id = ? AND build_id IS NULL AND kind = 'build'", build.template_id
                )
                self._finish(build, "error", reason)

    def _finish(self, build: Build, status: str, reason: dict[str, Any] | None) -> None:
        build.done = True
        self._db.run(
            "UPDATE template_builds SET status = ?, finished_at = ?, reason = ? WHERE id = ?",
            status, now(), dumps(reason) if reason else None, build.id,
        )  # fmt: skip

    def _progress(self, build: Build, done: int, message: str) -> None:
        build.log(message)
        self._db.run("UPDATE template_builds SET steps_done = ? WHERE id = ?", done, build.id)

    async def _template_layer(self, template_id: str) -> str:
        if template_id in RECIPES:  # built on first use, or again when its recipe changed
            await self._backend.ensure_template(template_id, lambda line: log.warning("%s", line))
        return template_id

    async def _image_layer(self, build: Build, ref: str, opts: Options) -> str:
        """The image as a template of its own (cached by reference unless skipCache)."""
        key = hashlib.sha256(dumps([opts.scope, ref]).encode()).hexdigest()[:24]
        layer = IMAGE_PREFIX + (key if not opts.skip_cache else secrets.token_hex(12))
        if self._backend.template_exists(layer):
            build.log(f"CACHED image {ref}")
            return layer
        extra: dict[str, object] = {"scope": _scope_tag(opts.scope)}
        await self._backend.add_image(layer, ref, opts.login, extra, build.log, self._replica)
        return layer

    async def _layers(
        self, build: Build, layer: str, steps: list[dict[str, Any]], state: StepState, opts: Options, first: int
    ) -> tuple[str, StepState]:
        force = opts.skip_cache
        for n, step in enumerate(steps, first):
            force = force or bool(step.get("force", False))
            label = f"[{n}/{build.steps_total}] {describe(step)}"
            kind = step["type"]
            if kind == "env":
                state = dataclasses.replace(state, envs={**state.envs, **step["envs"]})
            elif kind == "user":
                state = dataclasses.replace(state, user=step["user"])
            elif kind == "workdir" and step["path"] in EXISTING_DIRS:
                state = dataclasses.replace(state, workdir=step["path"])
            if kind in ("env", "user") or (kind == "workdir" and step["path"] in EXISTING_DIRS):
                self._progress(build, n, label)
                continue
            if kind == "workdir":
                state = dataclasses.replace(state, workdir=step["path"])
            content = {k: v for k, v in step.items() if k != "force"}
            salt = secrets.token_hex(8) if force else ""
            key = hashlib.sha256(dumps([opts.scope, layer, content, dataclasses.asdict(state), salt]).encode())
            new = LAYER_PREFIX + key.hexdigest()[:24]
            if self._backend.template_exists(new):
                self._progress(build, n, f"CACHED {label}")
            else:
                build.log(label)
                await self._run_step(build, n, layer, new, step, state, opts)
                self._progress(build, n, f"done {label}")
            layer = new
        return layer, state

    async def _run_step(
        self, build: Build, n: int, layer: str, new: str, step: dict[str, Any], state: StepState, opts: Options
    ) -> None:
        sandbox_id = "bld-" + secrets.token_hex(8)
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        pending = [""]

        def output(chunk: str) -> None:
            *lines, pending[0] = (pending[0] + chunk).split("\n")
            for line in lines:
                tail.append(line)
                build.log(line)

        try:
            await self._backend.start(
                sandbox_id,
                Boot(layer, opts.cpu, opts.memory_mb, BUILD_DISK_MB, opts.allow_internet, replica=self._replica),
            )
            if opts.network is not None and opts.allow_internet:
                await self._backend.set_network(sandbox_id, opts.network)
            cmd, user, cwd = await self._step_command(sandbox_id, step, state, opts)
            envs = {**await self._trust(sandbox_id), **state.envs}
            code = await self._agents.run_command(sandbox_id, cmd, user=user, cwd=cwd, envs=envs, on_output=output)
            if pending[0]:
                output("\n")
            if code != 0:
                text = "\n".join(tail)
                raise StepFailed({
                    "message": f"step {n} ({describe(step)}) failed with exit code {code}:\n{text}",
                    "step": n,
                    "exitCode": code,
                    "outputTail": text,
                })  # fmt: skip
            with contextlib.suppress(SnapshotExists):  # a concurrent build made the same layer
                await self._backend.commit_layer(
                    sandbox_id, new, {"step": describe(step), "scope": _scope_tag(opts.scope)}
                )
        finally:
            await self._agents.drop(sandbox_id)
            with contextlib.suppress(Exception):
                await self._backend.destroy(sandbox_id)

    async def _trust(self, sandbox_id: str) -> dict[str, str]:
        """With `--build-ca-bundle`, the bundle in the build sandbox's /tmp (a tmpfs: never in a layer)
        and the variables that point pip, npm, curl, git and Python at it: for hosts whose egress goes
        through a TLS-inspecting proxy. Without it, nothing."""
        if self._ca_bundle is None:
            return {}
        await self._agents.write_file(sandbox_id, CA_BUNDLE, self._ca_bundle.read_bytes(), "root")
        return {name: CA_BUNDLE for name in CA_VARIABLES}

    async def _step_command(
        self, sandbox_id: str, step: dict[str, Any], state: StepState, opts: Options
    ) -> tuple[str, str, str | None]:
        """The command line a step runs as, the user it runs as and where."""
        kind = step["type"]
        if kind == "run":
            return str(step["cmd"]), str(step.get("user", state.user)), state.workdir
        if kind == "workdir":
            return f"mkdir -p {shlex.quote(step['path'])}", "root", None
        assert opts.files is not None
        await self._agents.write_file(sandbox_id, COPY_TARBALL, _read_file(opts.files / step["filesHash"]), "root")
        owner = str(step.get("user", state.user))
        dest = shlex.quote(step["dest"])
        mode = f'find "$t" -mindepth 1 -type f -exec chmod {step["mode"]:o} {{}} +\n' if "mode" in step else ""
        script = (
            "set -e\n"
            "t=$(mktemp -d /tmp/.hutch-copy.XXXXXX)\n"
            f"tar -xzf {COPY_TARBALL} -C \"$t\" --no-same-owner\n"
            f"find \"$t\" -mindepth 1 -exec chown -h {owner}: {{}} +\n"
            f"{mode}"
            f"mkdir -p {dest}\n"
            f"find \"$t\" -mindepth 1 -maxdepth 1 -exec cp -a {{}} {dest}/ \\;\n"
            f"rm -rf \"$t\" {COPY_TARBALL}\n"
        )  # fmt: skip
        return script, "root", None

    async def status(self, tenant: Tenant, template_id: str, build_id: str, offset: int) -> dict[str, Any]:
        row = self._db.one(
            "SELECT * FROM template_builds WHERE id = ? AND tenant = ? AND template_id = ?", build_id, tenant.id,
            template_id,
        )  # fmt: skip
        if row is None:
            raise not_found(f"build {build_id} of template {template_id} not found")
        build = self._builds.get(build_id)
        if build is not None:
            logs = build.logs[offset:]
        else:  # finished before this server started, or long ago: its stored log
            logs = await asyncio.to_thread(_stored_log, self._logs / f"{build_id}.jsonl", offset)
        out = {
            "templateID": template_id,
            "buildID": build_id,
            "status": row["status"],
            "logEntries": logs,
            "logsOffset": offset,
            "stepsDone": row["steps_done"],
            "stepsTotal": row["steps_total"],
        }
        if row["reason"]:
            out["reason"] = json.loads(row["reason"])
        return out

    def recover(self, predecessors: list[str]) -> None:
        """At start: builds this replica's previous processes did not finish failed."""
        with self._db.tx():
            self.fail_abandoned(predecessors)
        self._logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._prune_logs()

    def fail_abandoned(self, replica_ids: list[str]) -> None:
        """In a transaction: the builds dead replica processes (at least one) did not finish failed, and
        no template left without content (but those whose first build another replica runs)."""
        self._db.run(
            "UPDATE template_builds SET status = 'error', finished_at = ?, reason = ?"
            f" WHERE status = 'building' AND replica IN ({', '.join('?' * len(replica_ids))})",
            now(), dumps({"message": "the server stopped during the build; build it again"}), *replica_ids,
        )  # fmt: skip
        self._db.run(
            "DELETE FROM templates WHERE kind = 'build' AND build_id IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM template_builds b WHERE b.template_id = templates.id AND b.status = 'building')"
        )

    def _prune_logs(self) -> None:
        """Keep the newest KEEP_LOG_FILES stored build logs."""
        stored = list(self._logs.glob("*.jsonl"))
        if len(stored) > KEEP_LOG_FILES:
            stored.sort(key=lambda p: p.stat().st_mtime)
            for old in stored[: len(stored) - KEEP_LOG_FILES]:
                old.unlink(missing_ok=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    # ------------------------------------------------------------------ delete

    async def delete(self, tenant: Tenant, ref: str) -> None:
        row = own(self._db, tenant, ref)
        if row is None or row["kind"] != "build":
            if row is not None:
                raise conflict(f"template {ref} is a snapshot template: delete its snapshot {row['snapshot_id']}")
            raise not_found(f"template {ref} not found")
        template_id = str(row["id"])
        async with self._locks[template_id]:
            users = self._db.all(
                "SELECT id FROM sandboxes WHERE template_id = ? AND state IN ('starting', 'running', 'paused')",
                template_id,
            )
            if users:
                raise conflict(
                    f"sandboxes still run from template {ref}: {', '.join(u['id'] for u in users[:5])}; kill them first"
                )
            snaps = self._db.all(
                "SELECT s.id FROM snapshots s JOIN sandboxes b ON s.sandbox_id = b.id WHERE b.template_id = ?",
                template_id,
            )
            if snaps:
                raise conflict(
                    f"snapshots of sandboxes from template {ref} boot from its layers: "
                    f"{', '.join(r['id'] for r in snaps[:5])}; delete them first"
                )
            builds = self._db.all("SELECT id FROM template_builds WHERE template_id = ?", template_id)
            with self._db.tx():  # first: no create can take the template's pool from here on
                self._db.run("DELETE FROM templates WHERE id = ?", template_id)
                self._db.run("DELETE FROM template_builds WHERE template_id = ?", template_id)
            await self._pool.forget(template_id)
            for b in builds:
                (self._logs / f"{b['id']}.jsonl").unlink(missing_ok=True)
            for build_id in [b.id for b in self._builds.values() if b.template_id == template_id]:
                del self._builds[build_id]
            await self._backend.delete_template(template_id)
            for layer in await self._backend.call(self._unused_layers, _scope_tag(tenant.id)):
                await self._backend.delete_template(layer)

    def _unused_layers(self, scope_tag: str) -> list[str]:
        """The tenant's cached layers that no template uses any more (those of a deleted template's
        chain, of its earlier versions and of failed builds)."""
        store = self._backend.templates
        if self._tasks:
            return []  # a build in progress may be standing on these layers: they stay as cache
        used: set[str] = set()
        ours: list[str] = []
        for other in store.list():
            if other.startswith((LAYER_PREFIX, IMAGE_PREFIX)):
                with contextlib.suppress(Exception):
                    if store.meta(other).get("scope") == scope_tag:
                        ours.append(other)
                continue
            with contextlib.suppress(Exception):
                used.update(p.parent.name for p in store.lowerdirs(other))
        return [layer for layer in ours if layer not in used]


def _login(registry: dict[str, str] | None) -> images.Login | None:
    """The user name and password of a `fromImageRegistry` (a GCP key logs in as `_json_key`)."""
    if registry is None:
        return None
    if registry["type"] == "gcp":
        return images.Login("_json_key", registry["serviceAccountJson"])
    return images.Login(registry["username"], registry["password"])


def _scope_tag(scope: str) -> str:
    """Whose a layer is, recorded in its meta.json (a digest: tenant IDs stay out of the file tree)."""
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def _stored_log(path: Path, offset: int) -> list[dict[str, str]]:
    """A build's stored log entries from `offset` (none if it has no stored log)."""
    entries: list[dict[str, str]] = []
    with contextlib.suppress(FileNotFoundError), open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= offset:
                with contextlib.suppress(ValueError):  # a line a crash cut short
                    entries.append(json.loads(line))
    return entries


async def _read_file(path: Path) -> AsyncIterator[bytes]:
    with open(path, "rb") as f:
        while chunk := await asyncio.to_thread(f.read, FILE_CHUNK):
            yield chunk
