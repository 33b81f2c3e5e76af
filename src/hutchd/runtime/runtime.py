"""The runtime: starts, pauses, snapshots, measures, destroys and re-adopts sandboxes.

State lives on disk (sandboxes/<id>/state.json) and in the kernel (cgroups, mounts), never
only in this object, so a restarted server can take over (`recover`). Methods are synchronous
and thread-safe: one lock per sandbox id. One server per data dir: `recover` treats every
sandbox of the data dir it was not told about as an orphan. Templates in use by a sandbox,
a snapshot or a derived template must not be deleted (the caller keeps those records).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hutchd.runtime import agentclient, agentfiles, cgroups, egress, launcher, network, overlay, userns
from hutchd.runtime.cgroups import SandboxCgroups
from hutchd.runtime.crashpoints import crash_point
from hutchd.runtime.errors import (
    RuntimeUnavailable,
    SandboxExists,
    SandboxNotFound,
    SandboxStartError,
)
from hutchd.runtime.host import detect_host_features
from hutchd.runtime.layout import Layout, check_id
from hutchd.runtime.mitm import AUDIT_LOG, AUDIT_ON, MITM_DIR, Decryptor, Secret
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.runtime.sandbox import (
    RecoveryReport,
    SandboxHandle,
    SandboxSpec,
    SandboxState,
    SandboxUsage,
    proc_start_time,
)
from hutchd.runtime.sandboxfs import SandboxFS
from hutchd.runtime.snapshots import SnapshotStore
from hutchd.runtime.templates import RECIPES, TemplateStore
from hutchd.runtime.volumes import VolumeStore

SANDBOX_TMP = Path("/tmp")  # every sandbox has its own tmpfs here (launcher.py), hiding the host's
log = logging.getLogger("hutchd.runtime")

_DISK_CACHE_SECONDS = 5.0
_TMP_MAX_BYTES = 1 << 30


class Runtime:
    def __init__(self, data_dir: Path, *, agent_src: Path | None = None, check_host: bool = True) -> None:
        data_dir = Path(data_dir).resolve()
        if data_dir == SANDBOX_TMP or SANDBOX_TMP in data_dir.parents:
            raise RuntimeUnavailable(
                f"the data dir {data_dir} is under {SANDBOX_TMP}, which every sandbox mounts its own {SANDBOX_TMP}"
                " over, so no sandbox could start: choose another (the default is /var/lib/hutch; /var/tmp works)"
            )
        self.layout = Layout(data_dir)
        self.templates = TemplateStore(self.layout)
        self.snapshots = SnapshotStore(self.layout)
        self.volumes = VolumeStore(self.layout)
        self._features = detect_host_features()
        if check_host:
            optional = ("slirp4netns", "nftables", "debootstrap")  # internet, template builds: checked on use
            missing = [m for m in self._features.missing() if not m.startswith(optional)]
            if missing:
                raise RuntimeUnavailable("this host cannot run sandboxes:\n  " + "\n  ".join(missing))
        self.layout.create()
        self._bounded = self._features.loop_devices  # else disk_mb is nominal (HostFeatures.warnings)
        self._cg_group = cgroups.group_for(self.layout.instance)
        source = Path(agent_src) if agent_src else agentfiles.installed_agent()
        self._agent_dir = agentfiles.publish(agentfiles.stage(source, self.layout.agent), self.layout.agent_mount)
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._children: dict[str, int] = {}  # sandbox id -> the bwrap we forked and must reap
        self._slirps: dict[str, subprocess.Popen[bytes]] = {}
        self.egress = egress.Egress()  # per-sandbox policy and resolver (set .hosts_file to add names)
        self._disk_cache: dict[str, tuple[float, int]] = {}

    def close(self) -> None:
        """At a clean stop (or after `hutch cleanup`): unmount the published agent files and the host's
        side of the volumes, and remove this data dir's cgroup dirs where no sandbox is left in them.
        Running sandboxes are not touched."""
        agentfiles.unpublish(self.layout.agent_mount)
        self.volumes.unmount_all()
        cgroups.remove_group(self._cg_group)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, spec: SandboxSpec, *, ready_timeout: float = 30.0) -> SandboxHandle:
        """Set up and start a sandbox; returns once its agent answers GET /health."""
        spec.validate()
        sid = check_id("sandbox", spec.sandbox_id)
        if spec.allow_internet and (gaps := self._features.internet_missing()):
            raise RuntimeUnavailable("sandboxes cannot have internet access on this host: " + "; ".join(gaps))
        with self._lock(sid):
            sdir = self.layout.sandbox_dir(sid)
            if sdir.exists() or self.layout.run_dir(sid).exists():
                raise SandboxExists(f"sandbox {sid!r} already exists; destroy it first or pick another id")
            if spec.from_snapshot:
                template_id = self.snapshots.template_of(spec.from_snapshot)
                seed: Path | None = self.snapshots.upper(spec.from_snapshot)
            else:
                template_id, seed = spec.template_id, None
                if template_id in RECIPES:
                    self.templates.ensure(template_id)
            lowers = self.templates.lowerdirs(template_id)
            cg = SandboxCgroups.for_sandbox(self._cg_group, sid)
            state = SandboxState(spec=spec, template_id=template_id, cgroups=cg)
            try:
                return self._start(state, lowers, seed, ready_timeout)
            except BaseException as e:
                log = self._log_tail(sid)
                with contextlib.suppress(Exception):
                    self._teardown(sid, state, keep_upper=False)
                if isinstance(e, OSError | TimeoutError):
                    raise SandboxStartError(f"sandbox {sid!r} failed to start: {e}; log:\n{log}") from e
                raise

    def _start(self, state: SandboxState, lowers: list[Path], seed: Path | None, ready_timeout: float) -> SandboxHandle:
        spec = state.spec
        sid = spec.sandbox_id
        sdir = self.layout.sandbox_dir(sid)
        rdir = self.layout.run_dir(sid)
        fs = self._fs(sid)
        sdir.mkdir(mode=0o700)
        state.save(sdir / "state.json")  # first, so a crash from here on is recoverable
        if spec.proxy_state_from:  # a restore or fork: the egress proxy's state of the sandbox it copies
            Decryptor(sid, sdir).adopt(self._kept_proxy_state(spec.proxy_state_from))
        upper, work = fs.prepare(disk_mb=spec.disk_mb, bounded=self._bounded, seed=seed)
        _write_identity(upper, sid)
        state.cgroups.create(cpu=spec.cpu, memory_mb=spec.memory_mb, pids=spec.pids)
        overlay.mount(lowers, upper, work, fs.merged)
        self.volumes.mount_into(fs.merged, spec.volumes)
        rdir.mkdir(mode=0o700)
        sock_path = rdir / "agent.sock"
        env = {
            "HUTCH_AGENT_FD": str(launcher.AGENT_FD),
            "HUTCH_SANDBOX_ID": sid,
            "HUTCH_ENVS_JSON": json.dumps(spec.envs, separators=(",", ":")),
            "PYTHONPATH": "/opt/hutch",
        }
        if spec.agent_tcp is not None:
            env["HUTCH_AGENT_TOKEN"] = spec.agent_token
        env.update(spec.agent_env)
        launch = launcher.LaunchSpec(sandbox_id=sid, tmp_size_bytes=min(spec.memory_mb << 20, _TMP_MAX_BYTES), env=env)
        fds: list[int] = []
        try:
            fds.append(_listening_socket(_agent_address(spec, rdir)))
            fds.append(os.open(fs.agent_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600))
            launched = launcher.launch(
                launch,
                listen_fd=fds[0],
                log_fd=fds[1],
                root=str(fs.merged),
                agent_dir=str(self._agent_dir),
                cgroup_procs=state.cgroups.procs_files(),
            )
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._children[sid] = launched.pid
        state.pid, state.child_pid = launched.pid, launched.child_pid
        state.pid_start = proc_start_time(launched.pid)
        state.started_at = time.time()
        state.save(sdir / "state.json")
        crash_point("start:launched")
        if spec.allow_internet:
            # While the agent starts, but only once bwrap has set the sandbox up: bwrap configures its
            # loopback during set-up, and slirp4netns configuring the same netns at the same time makes
            # one of them fail. The egress table is in place before slirp4netns reports its interface.
            launcher.wait_set_up(launched, ready_timeout)
            slirp = network.spawn_slirp(launched.child_pid, state.cgroups.procs_files(), rdir / "slirp.log")
            self._slirps[sid] = slirp.proc
            try:
                # the policy's table, and the egress proxy's redirect in the same transaction
                self.egress.attach(sid, launched.child_pid, sdir, proxy=spec.proxy)
            except BaseException:
                slirp.forget()  # the teardown kills it
                raise
            slirp.wait_ready()
            crash_point("start:slirp")
        self._wait_ready(state, _agent_address(spec, rdir), ready_timeout)
        crash_point("start:ready")
        return SandboxHandle(sid, spec, sock_path, launched.pid, state.started_at)

    def _wait_ready(self, state: SandboxState, address: Path | tuple[str, int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if agentclient.health(address, timeout=max(0.05, min(left, 1.0))):
                return
            if self._reap(state) or not state.cgroups.populated():
                raise SandboxStartError(
                    f"the agent of sandbox {state.spec.sandbox_id!r} exited during start-up; "
                    f"its log ends with:\n{self._log_tail(state.spec.sandbox_id)}"
                )
            if left <= 0:
                raise SandboxStartError(
                    f"the agent of sandbox {state.spec.sandbox_id!r} did not answer GET /health within "
                    f"{timeout}s; its log ends with:\n{self._log_tail(state.spec.sandbox_id)}"
                )
            time.sleep(0.002)

    def _log_tail(self, sid: str) -> str:
        try:
            with open(self._fs(sid).agent_log, "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
                return f.read().decode(errors="replace")
        except OSError:
            return "(no log)"

    def destroy(self, sandbox_id: str, *, keep_upper: bool = False) -> None:
        """Kill and remove everything of a sandbox; idempotent. keep_upper keeps its files for restore."""
        sid = check_id("sandbox", sandbox_id)
        with self._lock(sid):
            self._teardown(sid, self._load_state(sid), keep_upper=keep_upper)

    def halt(self, sandbox_id: str) -> None:
        """SIGKILL the sandbox's pid 1, which ends every process of its pid namespace at once, and return
        without waiting: bwrap reaps it and exits, `destroy` removes the rest. Quick enough for the event loop."""
        state = self._load_state(check_id("sandbox", sandbox_id))
        if state is not None:
            self._kill_init(state)

    def _teardown(self, sid: str, state: SandboxState | None, *, keep_upper: bool) -> None:
        self.egress.detach(sid)
        Decryptor(sid, self.layout.sandbox_dir(sid)).remove()  # its CA key and secrets (and an orphaned mitmproxy)
        cg = state.cgroups if state else SandboxCgroups.for_sandbox(self._cg_group, sid)
        if state is not None:
            self._stop_bwrap(state)
        cg.kill()
        if pid := self._children.pop(sid, None):
            with contextlib.suppress(ChildProcessError):  # is_alive may have reaped it meanwhile
                os.waitpid(pid, 0)
        slirp = self._slirps.pop(sid, None)
        if slirp is not None:
            slirp.kill()
            slirp.wait()
        cgroups.remove_dirs([*cg.dirs(), *cgroups.leftover_dirs(self._cg_group).get(sid, [])])
        shutil.rmtree(self.layout.run_dir(sid), ignore_errors=True)
        self._disk_cache.pop(sid, None)
        self._fs(sid).release(keep_upper=keep_upper)

    def _stop_bwrap(self, state: SandboxState, timeout: float = 2.0) -> None:
        """Kill the sandbox's pid 1 first, so bwrap reaps it and exits by itself: killing bwrap first
        would orphan its child to host pid 1, which need not reap (it doesn't on this host kind)."""
        if not self._kill_init(state):
            return
        cg = state.cgroups
        deadline = time.monotonic() + timeout
        while state.pid in cg.pids() and time.monotonic() < deadline:
            if self._reap(state):
                return
            time.sleep(0.001)

    @staticmethod
    def _kill_init(state: SandboxState) -> bool:
        """SIGKILL the sandbox's pid 1 (its pid namespace dies with it); False if it was not running."""
        cg = state.cgroups
        if state.child_pid not in cg.pids():
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.child_pid, signal.SIGKILL)
        if cg.is_frozen():
            cg.set_frozen(False)  # bwrap must run to reap; everything else in the pid ns is dying
        return True

    def set_limits(self, sandbox_id: str, *, cpu: float, memory_mb: int, pids: int) -> None:
        """Change the cpu, memory and pids limits of a running sandbox."""
        with self._lock(sandbox_id):
            state = self._live_state(sandbox_id)
            spec = dataclasses.replace(state.spec, cpu=cpu, memory_mb=memory_mb, pids=pids)
            spec.validate()
            state.cgroups.set_limits(cpu=cpu, memory_mb=memory_mb, pids=pids)
            state.spec = spec
            state.save(self.layout.sandbox_dir(sandbox_id) / "state.json")

    # ---- network policy --------------------------------------------------------------------

    def set_network(self, sandbox_id: str, policy: NetworkPolicy, *, proxy: bool | None = None) -> None:
        """Apply an egress policy to a running (or paused) sandbox without restarting it. A sandbox
        started without internet gets its network interface now, unless the policy refuses everything.
        `proxy` turns its egress proxy (runtime/proxy.py) on or off; None leaves it as it is."""
        with self._lock(sandbox_id):
            state = self._live_state(sandbox_id)
            if self.egress.attached(sandbox_id):
                current = self.egress.policy(sandbox_id)
                rules = (policy.allow_out, policy.deny_out)
                same = current is not None and (current.allow_out, current.deny_out) == rules
                if not same or (proxy is not None and proxy != self.egress.proxied(sandbox_id)):
                    self.egress.set_policy(sandbox_id, policy, proxy=proxy)  # (an unchanged policy keeps its pins)
                return
            if policy.denies_everything:
                return  # no interface at all is stricter still
            if gaps := self._features.internet_missing():
                raise RuntimeUnavailable("sandboxes cannot have internet access on this host: " + "; ".join(gaps))
            if state.cgroups.is_frozen():
                raise RuntimeUnavailable(f"sandbox {sandbox_id!r} is paused and has no network yet; resume it first")
            procs = state.cgroups.procs_files()
            rdir = self.layout.run_dir(sandbox_id)
            self._slirps[sandbox_id] = network.start_slirp(state.child_pid, procs, rdir / "slirp.log")
            self.egress.attach(sandbox_id, state.child_pid, self.layout.sandbox_dir(sandbox_id), policy, proxy=proxy)

    def proxied(self, sandbox_id: str) -> bool:
        """Whether the sandbox's web traffic goes through its egress proxy now."""
        return self.egress.proxied(sandbox_id)

    def set_proxy(self, sandbox_id: str, on: bool) -> None:
        """Turn a running sandbox's egress proxy on or off, keeping its policy (no-op if it is already)."""
        with self._lock(sandbox_id):
            self._live_state(sandbox_id)
            policy = self.egress.policy(sandbox_id)
            if policy is not None and self.egress.proxied(sandbox_id) != on:
                self.egress.set_policy(sandbox_id, policy, proxy=on)

    def set_secrets(self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]) -> bytes | None:
        """Give a secure sandbox's egress proxy these secrets and body-reading policy (its decrypting
        half starts, or stops for neither); returns the sandbox's CA certificate, which its trust
        stores need."""
        with self._lock(sandbox_id):
            self._live_state(sandbox_id)
            try:
                return self.egress.set_secrets(sandbox_id, secrets, inspect)
            except OSError as e:
                raise RuntimeUnavailable(f"the sandbox's secrets cannot be held: {e}") from e

    def add_masked(self, sandbox_id: str, values: dict[str, str]) -> None:
        """Values of env_masking's variables (value -> name) for the sandbox's decrypting proxy."""
        with self._lock(sandbox_id):
            self._live_state(sandbox_id)
            Decryptor(sandbox_id, self.layout.sandbox_dir(sandbox_id)).add_masked(values)

    def audit_log(self, sandbox_id: str) -> Path:
        """Where the egress proxy records a sandbox's connections (only while the file exists)."""
        return self.layout.sandbox_dir(check_id("sandbox", sandbox_id)) / AUDIT_LOG

    def set_audit(self, sandbox_id: str, on: bool) -> None:
        """Start or stop recording the sandbox's connections (its egress proxy reads this per connection)."""
        with self._lock(sandbox_id):
            self._live_state(sandbox_id)
            sandbox_dir = self.layout.sandbox_dir(sandbox_id)
            for marker in (sandbox_dir / AUDIT_ON, sandbox_dir / MITM_DIR / AUDIT_ON):  # (the proxy's, its decryptor's)
                if not marker.parent.is_dir():
                    continue
                if on:
                    marker.touch(mode=0o644)
                else:
                    marker.unlink(missing_ok=True)

    def inspect_policy(self, sandbox_id: str) -> dict[str, Any]:
        """The body-reading policy the sandbox's decrypting proxy holds ({} for none)."""
        path = self.layout.sandbox_dir(check_id("sandbox", sandbox_id)) / MITM_DIR / "policy.json"
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            return {}

    def audit_on(self, sandbox_id: str) -> bool:
        return (self.layout.sandbox_dir(check_id("sandbox", sandbox_id)) / AUDIT_ON).exists()

    def network_policy(self, sandbox_id: str) -> NetworkPolicy | None:
        """The policy in force, or None for a sandbox without a network interface."""
        return self.egress.policy(sandbox_id)

    def _reattach_network(self, sid: str, state: SandboxState) -> None:
        """After a server restart: the nft table is still in the sandbox's netns, the resolver's
        sockets died with the old process and are made again."""
        sdir = self.layout.sandbox_dir(sid)
        if not (state.spec.allow_internet or (sdir / egress.STATE_FILE).exists()):
            return
        if state.child_pid not in state.cgroups.pids() or not network.has_interface(state.child_pid):
            return  # half made when the server died: set_network gives it its interface and policy
        try:
            self.egress.attach(sid, state.child_pid, sdir, recovering=True)
        except OSError as e:
            egress.log.warning("sandbox %s: network enforcement not re-attached: %s", sid, e)

    # ---- pause, snapshots ------------------------------------------------------------------

    def freeze(self, sandbox_id: str) -> None:
        """Pause every process of the sandbox (cgroup freeze: the sandbox cannot undo it)."""
        with self._lock(sandbox_id):
            self._live_state(sandbox_id).cgroups.set_frozen(True)

    def thaw(self, sandbox_id: str) -> None:
        with self._lock(sandbox_id):
            self._live_state(sandbox_id).cgroups.set_frozen(False)

    def is_frozen(self, sandbox_id: str) -> bool:
        return self._live_state(sandbox_id).cgroups.is_frozen()

    def snapshot(self, sandbox_id: str, snapshot_id: str) -> int:
        """Copy the sandbox's upper dir while it is frozen; returns the snapshot size in bytes."""
        with self._lock(sandbox_id):
            state = self._require_state(sandbox_id)
            cg = state.cgroups
            upper = self._fs(sandbox_id).upper()
            running = cg.populated() and not cg.is_frozen()
            if running:
                cg.set_frozen(True)
            try:
                size = self.snapshots.create(snapshot_id, upper, template_id=state.template_id, source=sandbox_id)
            finally:
                if running:
                    cg.set_frozen(False)
            Decryptor(sandbox_id, self.layout.sandbox_dir(sandbox_id)).keep(self._kept_proxy_state(snapshot_id))
            return size

    def _kept_proxy_state(self, snapshot_id: str) -> Path:
        """Where a snapshot's sandbox's egress-proxy state is kept for its restores (not in the snapshot)."""
        return self._kept_proxy_state_root() / check_id("snapshot", snapshot_id)

    def _kept_proxy_state_root(self) -> Path:
        return self.layout.root / "proxy-state"

    def preserve_upper(self, sandbox_id: str, snapshot_id: str) -> int:
        """Turn the kept upper dir of a dead sandbox (see `recover`) into a snapshot, O(1), and forget
        the sandbox. Returns the snapshot size in bytes."""
        with self._lock(sandbox_id):
            state = self._require_state(sandbox_id)
            if state.cgroups.populated():
                raise SandboxExists(f"sandbox {sandbox_id!r} is still running; use snapshot() instead")
            self._teardown(sandbox_id, state, keep_upper=True)
            size = self.snapshots.create(
                snapshot_id, self._fs(sandbox_id).kept, template_id=state.template_id, source=sandbox_id, move=True
            )
            self._teardown(sandbox_id, state, keep_upper=False)
            return size

    def commit_layer(self, sandbox_id: str, template_id: str, extra: dict[str, object]) -> None:
        """A template = the sandbox's template + a copy of its upper dir, taken while it is frozen
        (a template build's step: one copy, no snapshot in between)."""
        with self._lock(sandbox_id):
            state = self._require_state(sandbox_id)
            cg = state.cgroups
            running = cg.populated() and not cg.is_frozen()
            if running:
                cg.set_frozen(True)
            try:
                self.templates.add_layer(
                    template_id, parent=state.template_id, source_upper=self._fs(sandbox_id).upper(), extra=extra
                )
            finally:
                if running:
                    cg.set_frozen(False)

    def snapshot_ids(self) -> set[str]:
        """Snapshots with files in this data dir: their copies, or the proxy state kept beside them."""
        dirs = [*self.layout.snapshots.iterdir(), *self._kept_proxy_state_root().glob("*")]
        return {d.name for d in dirs if not d.name.startswith(".")}  # .tmp-* and .gone-*: SnapshotStore.sweep

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.snapshots.delete(snapshot_id)
        shutil.rmtree(self._kept_proxy_state(snapshot_id), ignore_errors=True)

    def promote_snapshot_to_template(self, snapshot_id: str, template_id: str) -> None:
        """A template = the snapshot's template + a copy of the snapshot's upper as one more layer."""
        meta = self.snapshots.meta(snapshot_id)
        self.templates.add_layer(
            template_id,
            parent=str(meta["template_id"]),
            source_upper=self.snapshots.upper(snapshot_id),
            extra={"from_snapshot": snapshot_id},
        )

    # ---- observation -----------------------------------------------------------------------

    def metrics(self, sandbox_id: str) -> SandboxUsage:
        state = self._live_state(sandbox_id)
        used, limit = state.cgroups.memory_usage()
        return SandboxUsage(
            cpu_usage_usec=state.cgroups.cpu_usage_usec(),
            mem_used_bytes=used,
            mem_limit_bytes=limit,
            disk_used_bytes=self._disk_used(sandbox_id),
            disk_limit_bytes=state.spec.disk_mb << 20,
            cpu_count=state.spec.cpu,
            mem_cache_bytes=state.cgroups.memory_cache(),
        )

    def _disk_used(self, sid: str) -> int:
        now = time.monotonic()
        cached = self._disk_cache.get(sid)
        if cached and now - cached[0] < _DISK_CACHE_SECONDS:
            return cached[1]
        size = self._fs(sid).used_bytes()
        self._disk_cache[sid] = (now, size)
        return size

    def is_alive(self, sandbox_id: str, timeout: float = 2.0) -> bool:
        state = self._load_state(sandbox_id)
        return state is not None and self._alive(state, timeout)

    def _alive(self, state: SandboxState, timeout: float) -> bool:
        """bwrap and the sandbox's processes alive, and the agent answers or at least still listens
        (busy, e.g. starved at its CPU quota, is not dead). Frozen cannot answer: alive if populated."""
        exited = self._reap(state)
        if exited or not state.cgroups.populated():
            return False
        if state.cgroups.is_frozen():
            return True
        address = _agent_address(state.spec, self.layout.run_dir(state.spec.sandbox_id))
        return agentclient.probe(address, timeout) is not agentclient.Agent.GONE

    def agent_socket(self, sandbox_id: str) -> Path:
        path = self.layout.run_dir(sandbox_id) / "agent.sock"
        if not path.exists():
            raise SandboxNotFound(f"sandbox {sandbox_id!r} is not running on this host")
        return path

    def sandboxes(self) -> list[str]:
        """Ids with anything on disk (running, or dead with a kept upper dir)."""
        return sorted(d.name for d in self.layout.sandboxes.iterdir() if d.is_dir())

    # ---- crash recovery --------------------------------------------------------------------

    def recover(self, known: set[str]) -> RecoveryReport:
        """At server start: keep known sandboxes that are alive, clean up everything else, but keep
        the upper dirs of known dead sandboxes so they can be restored (`preserve_upper`)."""
        report = RecoveryReport()
        adopted: list[tuple[str, SandboxState]] = []
        self.snapshots.sweep()
        ids = {d.name for d in self.layout.sandboxes.iterdir()}
        ids |= {d.name for d in self.layout.run.iterdir()}
        ids |= set(cgroups.leftover_dirs(self._cg_group))
        for mnt in overlay.mounts_under(self.layout.sandboxes):
            rel = Path(mnt).relative_to(self.layout.sandboxes).parts
            if rel:
                ids.add(rel[0])
        for sid in sorted(ids):
            try:
                check_id("sandbox", sid)
            except ValueError:
                continue
            with self._lock(sid):
                state = self._load_state(sid)
                if sid in known and state is not None and self._alive(state, 2.0):
                    report.adopted.append(sid)
                    adopted.append((sid, state))
                    continue
                fs = self._fs(sid)
                keep = sid in known and (fs.kept.is_dir() or fs.image.exists())
                try:
                    self._teardown(sid, state, keep_upper=keep)
                except Exception as e:
                    # Half made when the server died (a disk image half copied, say): its files cannot
                    # be kept, and it must not stop the recovery of every other sandbox.
                    log.warning("recovery: sandbox %s could not be cleaned up as it was (%s); removing it", sid, e)
                    keep = False
                    with contextlib.suppress(Exception):
                        self._teardown(sid, state, keep_upper=False)
                (report.kept_upper if keep else report.cleaned).append(sid)
        # Only after every teardown: a half-launched sandbox's orphaned fork may still hold copies of
        # the old server's sockets (a resolver's among them) until its cgroup is killed.
        for sid, state in adopted:
            with self._lock(sid):
                self._reattach_network(sid, state)
        return report

    # ---- helpers ---------------------------------------------------------------------------

    def _fs(self, sid: str) -> SandboxFS:
        return SandboxFS(self.layout.sandbox_dir(sid), self.layout.disk_cache)

    @contextlib.contextmanager
    def _lock(self, sid: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(sid, threading.Lock())
        with lock:
            yield

    def _load_state(self, sid: str) -> SandboxState | None:
        try:
            return SandboxState.from_json((self.layout.sandbox_dir(sid) / "state.json").read_text())
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _require_state(self, sid: str) -> SandboxState:
        state = self._load_state(sid)
        if state is None:
            raise SandboxNotFound(f"sandbox {sid!r} does not exist on this host")
        return state

    def _live_state(self, sid: str) -> SandboxState:
        state = self._require_state(sid)
        if not state.cgroups.exists():
            raise SandboxNotFound(f"sandbox {sid!r} is not running (only its files were kept)")
        return state

    def _reap(self, state: SandboxState) -> bool:
        """True if the sandbox's bwrap has exited; reaps it if it is our child. Safe without the
        sandbox lock: a concurrent reap or teardown only makes waitpid fail."""
        sid, pid = state.spec.sandbox_id, state.pid
        if self._children.get(sid) != pid:
            return proc_start_time(pid) != state.pid_start  # not ours (adopted): gone, or pid reused
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            self._children.pop(sid, None)
        return bool(done)


def _agent_address(spec: SandboxSpec, run_dir: Path) -> Path | tuple[str, int]:
    """Where the sandbox's agent listens: its Unix socket, or the host TCP address it was given."""
    if spec.agent_tcp is None:
        return run_dir / "agent.sock"
    host, _, port = spec.agent_tcp.rpartition(":")
    return (host, int(port))


def _listening_socket(address: Path | tuple[str, int]) -> int:
    """Bind and listen on the agent's address; returns the raw fd, now owned only by the caller."""
    if isinstance(address, tuple):
        listener = socket.create_server(address, backlog=64)
        return listener.detach()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.bind(str(address))
        unix.listen(64)
        return unix.detach()


def _write_identity(upper: Path, sid: str) -> None:
    """Per-sandbox /etc/hostname, /etc/hosts and /etc/resolv.conf, written into the upper dir (so the
    sandbox may edit them) and owned by sandbox root."""
    etc = upper / "etc"
    if etc.is_symlink() or (etc.exists() and not etc.is_dir()):
        return
    if not etc.exists():
        etc.mkdir(mode=0o755)
        userns.chown_to_sandbox(etc)
    files = {
        "hostname": f"{sid}\n",
        "hosts": f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{sid}\n",
        "resolv.conf": network.resolv_conf(),
    }
    for name, text in files.items():
        path = etc / name
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        userns.chown_to_sandbox(path)
