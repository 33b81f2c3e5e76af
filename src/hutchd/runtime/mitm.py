"""The decrypting half of the egress proxy: one mitmproxy per sandbox that has secrets or a policy
that reads bodies (`pii`, `transformations`, `injection_defense`, `env_masking`), used as a
library through its addon API
(`mitm_addon.py`, with `inspection.py`), with a CA of that sandbox's own.

mitmproxy (Debian's package, `mitmdump`) runs in the sandbox's network namespace as an unprivileged
host user (MITM_UID, never a uid of a sandbox), listening on MITM_ADDRESS. Only the egress proxy's
marked sockets may connect to it (netpolicy.proxy_ruleset), and only for TLS to a secret's host: the
proxy has already judged the name, sends `CONNECT address:port` and then the client's bytes (TLS, or
plain HTTP to a host the policy inspects). mitmproxy
terminates TLS with a certificate for the SNI that this sandbox's CA signs, swaps the secrets'
placeholders in the request headers, and opens its own connection to the destination: that one is
redirected to the egress proxy like any other, which knows it by its host uid (proxy.socket_uid) and
forwards it as it is, after judging its name; the egress table judges its address.

Its audit entries (one per request) go to the sandbox's audit log through a descriptor it inherits,
while `audit.on` exists in its directory (runtime.set_audit keeps it in step with the sandbox's).

The CA's key and the secrets' values live only in `<sandbox dir>/mitm/` on the host (0700, owned by
MITM_UID), removed with the sandbox: the CA is trusted inside that one sandbox and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import Any

from hutchd.runtime import netns
from hutchd.runtime.netpolicy import MITM_ADDRESS, MITM_UID, PROXY_MARK

log = logging.getLogger("hutchd.proxy")

MITM_DIR = "mitm"
ADDON = Path(__file__).with_name("mitm_addon.py")
READY_TIMEOUT = 20.0
CA_DAYS = 30  # the key is deleted with the sandbox long before; a leaked certificate dies on its own
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
AUDIT_LOG = "audit.jsonl"  # in the sandbox's dir: its connections, one JSON object a line
AUDIT_ON = "audit.on"  # beside it (and in MITM_DIR): while this exists, connections are recorded
MASKED = "masked.json"  # env_masking's values (value -> variable name), taken out of requests
MAX_MASKED = 4096  # values kept; past that the oldest go first
KEPT = ("secrets.json", "policy.json", MASKED, "mitmproxy-ca.pem", "mitmproxy-ca-cert.pem")
"""What a restore or fork of the sandbox needs to have its secrets, policy and CA (`keep`, `adopt`)."""


@dataclass(frozen=True)
class Secret:
    value: str
    hosts: tuple[str, ...]
    placeholder: str  # what the sandbox holds in its place

    @classmethod
    def new(cls, name: str, value: str, hosts: tuple[str, ...]) -> Secret:
        return cls(value, hosts, f"hutch-secret-{name}-{token_hex(12)}")


class Decryptor:
    """One sandbox's mitmproxy process."""

    def __init__(self, sandbox_id: str, state_dir: Path, upstream_ca: Path | None = None) -> None:
        self.sandbox_id = sandbox_id
        self.dir = state_dir / MITM_DIR
        self.upstream_ca = upstream_ca
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def ca_cert(self) -> bytes:
        return (self.dir / "mitmproxy-ca-cert.pem").read_bytes()

    def saved(self) -> dict[str, Secret]:
        """The secrets written last (by name), if any."""
        try:
            table = json.loads((self.dir / "secrets.json").read_text())
        except (OSError, ValueError):
            return {}
        return {s["name"]: Secret(s["value"], tuple(s["hosts"]), ph) for ph, s in table.items()}

    def saved_policy(self) -> dict[str, Any]:
        """The body-reading policy written last (`inspect` of `write`), if any."""
        try:
            return dict(json.loads((self.dir / "policy.json").read_text()))
        except (OSError, ValueError):
            return {}

    def masked(self) -> dict[str, str]:
        """The masked variables' values known so far (value -> name)."""
        try:
            return dict(json.loads((self.dir / MASKED).read_text()))
        except (OSError, ValueError):
            return {}

    def add_masked(self, values: dict[str, str]) -> None:
        """More values of masked variables for the proxy to take out of requests (a running one reads
        them on its next request). A placeholder of this sandbox's secrets is never one: the proxy
        must see it to swap it."""
        if not self.dir.is_dir():
            return
        known = self.masked()
        placeholders = {s.placeholder for s in self.saved().values()}
        new = {v: n for v, n in values.items() if v not in placeholders and known.get(v) != n}
        if new:
            merged = {**known, **new}
            self._replace(MASKED, dict(list(merged.items())[-MAX_MASKED:]))

    def keep(self, dest: Path) -> None:
        """Copy what a restore of this sandbox needs to `dest` (a directory of root's alone, beside
        its snapshot, never in it): its secrets, body-reading policy, masked values, CA and whether
        it is audited. The files in the snapshot already trust that CA and hold the placeholders."""
        audited = (self.dir.parent / AUDIT_ON).exists()
        if not self.dir.is_dir() and not audited:
            return
        dest.mkdir(mode=0o700, parents=True)
        for name in KEPT:
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(self.dir / name, dest / name)  # (created 0600 under the 0700 dest)
        if audited:
            (dest / AUDIT_ON).touch(mode=0o600)

    def adopt(self, kept: Path) -> None:
        """Make what `keep` copied this (new, not yet running) sandbox's own: its egress proxy then
        starts decrypting as for a server restart."""
        if not kept.is_dir():
            return
        if (kept / AUDIT_ON).exists():
            (self.dir.parent / AUDIT_ON).touch(mode=0o644)
        names = [n for n in KEPT if (kept / n).exists()]
        if not names:
            return
        self.dir.mkdir(mode=0o700, exist_ok=True)
        os.chown(self.dir, MITM_UID, MITM_UID)
        for name in names:
            fd = os.open(self.dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write((kept / name).read_bytes())
            os.chown(self.dir / name, MITM_UID, MITM_UID)
        self.set_audit((kept / AUDIT_ON).exists())

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def write(self, secrets: dict[str, Secret], inspect: dict[str, Any]) -> None:
        """Make the directory and CA (first time) and replace the secrets and the body-reading policy
        atomically; a running mitmproxy reads them again on its next request."""
        self.dir.mkdir(mode=0o700, exist_ok=True)
        os.chown(self.dir, MITM_UID, MITM_UID)
        if not (self.dir / "mitmproxy-ca.pem").exists():
            self._make_ca()
        table = {s.placeholder: {"name": n, "value": s.value, "hosts": list(s.hosts)} for n, s in secrets.items()}
        self._replace("secrets.json", table)
        self._replace("policy.json", inspect)
        self.set_audit((self.dir.parent / AUDIT_ON).exists())

    def set_audit(self, on: bool) -> None:
        marker = self.dir / AUDIT_ON
        if on:
            marker.touch(mode=0o644)
        else:
            marker.unlink(missing_ok=True)

    def _replace(self, name: str, content: dict[str, Any]) -> None:
        tmp = self.dir / f"{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(content, f)
        os.chown(tmp, MITM_UID, MITM_UID)
        os.replace(tmp, self.dir / name)

    def _make_ca(self) -> None:
        key, cert = self.dir / "ca.key", self.dir / "mitmproxy-ca-cert.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", str(CA_DAYS), "-subj", f"/O=hutch/CN=hutch egress proxy CA for {self.sandbox_id}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        both = self.dir / "mitmproxy-ca.pem"  # mitmproxy's name for key + certificate
        fd = os.open(both, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.read_bytes() + cert.read_bytes())
        key.unlink()
        for path in (both, cert):
            os.chown(path, MITM_UID, MITM_UID)

    def start(self, netns_fd: int) -> int:
        """Start mitmproxy in the sandbox's netns (a leftover one of an earlier server is stopped
        first); returns its port once it accepts connections."""
        self.stop()
        port = netns.run_in(netns_fd, lambda: netns.bound(socket.SOCK_STREAM, MITM_ADDRESS, 0, 1))
        self.port = int(port.getsockname()[1])
        port.close()
        trusted = self.dir / "upstream-ca.pem"
        extra = self.upstream_ca.read_bytes() if self.upstream_ca and self.upstream_ca.exists() else b""
        trusted.write_bytes(SYSTEM_BUNDLE.read_bytes() + b"\n" + extra)
        # Its own mount namespace with this directory as its /tmp (the data dir is root's alone), in
        # the sandbox's netns, then no capabilities, no new privileges, and the uid of nobody.
        script = (
            'mount --bind "$1" /tmp && shift && exec setpriv --reuid "$0" --regid "$0" --clear-groups '
            '--inh-caps=-all --bounding-set=-all --no-new-privs "$@"'
        )
        argv = [
            "nsenter", f"--net=/proc/self/fd/{netns_fd}", "unshare", "--mount", "--propagation", "private",
            "sh", "-c", script, str(MITM_UID), str(self.dir),
            shutil.which("mitmdump") or "/usr/bin/mitmdump", "-q", "--mode", "regular",
            "--listen-host", MITM_ADDRESS, "--listen-port", str(self.port),
            "--set", "confdir=/tmp", "--set", "ssl_verify_upstream_trusted_ca=/tmp/upstream-ca.pem",
            "--set", "http2=false", "-s", str(ADDON),  # (the addon decides which bodies it holds)
        ]  # fmt: skip
        audit = os.open(
            self.dir.parent / AUDIT_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/tmp", "HUTCH_SECRETS": "/tmp/secrets.json",
            "HUTCH_POLICY": "/tmp/policy.json", "HUTCH_MASKED": f"/tmp/{MASKED}",
            "HUTCH_AUDIT_ON": f"/tmp/{AUDIT_ON}", "HUTCH_AUDIT_FD": str(audit),
        }  # fmt: skip
        with open(self.dir / "mitm.log", "ab") as out:
            try:
                self._proc = subprocess.Popen(
                    argv, cwd="/", stdin=subprocess.DEVNULL, stdout=out, stderr=out, pass_fds=(netns_fd, audit),
                    env=env, start_new_session=True,
                )  # fmt: skip
            finally:
                os.close(audit)
        (self.dir / "mitm.pid").write_text(f"{self._proc.pid} {self.port}")
        self._wait_ready(netns_fd)
        return self.port

    def _wait_ready(self, netns_fd: int) -> None:
        assert self._proc is not None and self.port is not None
        port = self.port
        deadline = time.monotonic() + READY_TIMEOUT

        def probe() -> socket.socket:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, PROXY_MARK)
            s.settimeout(1.0)
            try:
                s.connect((MITM_ADDRESS, port))
                # Its HTTP layer answering, not only its socket accepting: the first connections
                # after the listen could be dropped (curl saw SSL_ERROR_SYSCALL right after a create).
                s.sendall(b"GET / HTTP/1.1\r\nHost: hutch-readiness-probe\r\n\r\n")
                if not s.recv(5).startswith(b"HTTP/"):
                    raise OSError("the decrypting proxy closed the readiness probe")
            except OSError:
                s.close()
                raise
            return s

        while True:
            try:
                netns.run_in(netns_fd, probe).close()
                return
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    tail = (self.dir / "mitm.log").read_bytes()[-1500:].decode(errors="replace")
                    self.stop()
                    raise OSError(f"the decrypting proxy of {self.sandbox_id} did not start: {tail}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return
        with contextlib.suppress(OSError, ValueError):  # one an earlier server started
            pid, port = (self.dir / "mitm.pid").read_text().split()
            cmdline = Path(f"/proc/{int(pid)}/cmdline").read_bytes().split(b"\0")
            if b"--listen-port" in cmdline and port.encode() in cmdline and b"-q" in cmdline:
                os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def clear(self) -> None:
        """Stop, and forget the secrets and the policy; the CA stays (the sandbox trusts it already, and
        a new one with the same name beside it would break that trust)."""
        self.stop()
        if self.dir.is_dir():
            self.write({}, {})
