"""The egress proxy of secure sandboxes (runtime/proxy.py) end to end: a real TLS server in a test
host's network namespace (198.18.N.2, certificate from a throwaway CA), named `site.test` and
`other.test` through the server's hosts file; sandboxes made with `secure: true` go through the proxy,
the others do not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from certs import Pki, make_pki
from nethelpers import Sandboxes
from testhosts import TestHost, links_left, start_hosts

pytestmark = pytest.mark.integration

TLS_SERVER = Path(__file__).with_name("tls_server.py")
NAMES = ["site.test", "other.test"]
SUB, DENIED = "x.other.test", "*.other.test"  # (x.other.test is not in the hosts file)
CA_IN_SANDBOX = "/tmp/test-ca.pem"
CURL_SSL_ERROR = 35  # the TLS handshake failed (here: the proxy's access_denied alert)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), [*NAMES, SUB])


@pytest.fixture(scope="module")
def tls_host(hutch_server: Any, pki: Pki) -> Iterator[TestHost]:
    [host] = start_hosts(["tls"], argv=[sys.executable, str(TLS_SERVER), str(pki.cert), str(pki.key)], tag="hxp")
    before = hutch_server.hosts_file.read_text()
    hutch_server.hosts_file.write_text(before + "".join(f"{host.address} {n}\n" for n in NAMES))
    try:
        yield host
    finally:
        hutch_server.hosts_file.write_text(before)
        host.stop()
        assert links_left([host]) == []


class Curl:
    """curl in a sandbox that trusts the test CA."""

    def __init__(self, boxes: Sandboxes, pki: Pki, host: TestHost) -> None:
        self.boxes, self.pki, self.host = boxes, pki, host

    def sandbox(self, **body: Any) -> str:
        sid = str(self.boxes.create(**body)["sandboxID"])
        self.boxes.write(sid, CA_IN_SANDBOX, self.pki.ca.read_bytes())
        return sid

    def get(self, sid: str, url: str, *, pin: bool = False) -> tuple[int | None, str]:
        """(curl's exit code, body); `pin` connects to the test host's address whatever the name
        resolves to (curl --resolve: the sandbox names a host the policy would not resolve)."""
        name = url.split("/")[2]
        port = 443 if url.startswith("https") else 80
        resolve = f"--resolve {name}:{port}:{self.host.address}" if pin else ""
        code, out, _ = self.boxes.run(sid, f"curl -sS -m 8 --cacert {CA_IN_SANDBOX} {resolve} {url}")
        return code, out


@pytest.fixture
def curl(boxes: Sandboxes, pki: Pki, tls_host: TestHost) -> Curl:
    return Curl(boxes, pki, tls_host)


def test_passthrough_keeps_the_servers_certificate_and_judges_the_name_in_the_traffic(curl: Curl) -> None:
    """Allowed by name, other.test shares site.test's address. Without the proxy, naming other.test
    in the TLS handshake (or the Host header) gets through on the allowed address; with it, it is
    refused. The allowed name is verified against the test CA: the proxy did not touch the chain."""
    policy = {"allowOut": ["site.test"]}
    secure = curl.sandbox(secure=True, network=policy)
    assert curl.get(secure, "https://site.test/") == (0, "hello site.test over https")
    assert curl.get(secure, "http://site.test/") == (0, "hello site.test over http")
    code, _ = curl.get(secure, "https://other.test/", pin=True)
    assert code == CURL_SSL_ERROR
    code, body = curl.get(secure, "http://other.test/", pin=True)
    assert code == 0 and "refused by the sandbox's egress proxy: other.test is not in the sandbox's allow list" in body
    # a request that names no host to an address the policy does not list by address
    code, _ = curl.get(secure, f"https://{curl.host.address}/")
    assert code != 0

    plain = curl.sandbox(secure=False, network=policy)  # DNS rules only: the gap the proxy closes
    assert curl.get(plain, "https://other.test/", pin=True) == (0, "hello other.test over https")


def test_a_denied_name_is_refused_on_an_address_the_policy_leaves_open(curl: Curl) -> None:
    """A wildcard deny is only known by address once the sandbox asks the resolver for such a name;
    naming one in the traffic to an address it got elsewhere is refused all the same."""
    sid = curl.sandbox(secure=True, network={"denyOut": [DENIED]})
    assert curl.get(sid, "https://site.test/") == (0, "hello site.test over https")
    assert curl.get(sid, f"https://{SUB}/", pin=True)[0] == CURL_SSL_ERROR
    assert f"{SUB} is denied" in curl.get(sid, f"http://{SUB}/", pin=True)[1]
    # an address allowed explicitly admits any name that is not denied
    sid = curl.sandbox(secure=True, network={"allowOut": [curl.host.address], "denyOut": [DENIED]})
    assert curl.get(sid, "https://other.test/", pin=True) == (0, "hello other.test over https")
    assert curl.get(sid, f"https://{SUB}/", pin=True)[0] == CURL_SSL_ERROR


def test_a_policy_update_applies_to_the_next_connection(curl: Curl, boxes: Sandboxes) -> None:
    sid = curl.sandbox(secure=True)  # the open policy: every name
    assert curl.get(sid, f"https://{SUB}/", pin=True) == (0, f"hello {SUB} over https")
    boxes.update(sid, denyOut=[DENIED])
    assert curl.get(sid, f"https://{SUB}/", pin=True)[0] == CURL_SSL_ERROR
    assert curl.get(sid, "https://site.test/") == (0, "hello site.test over https")
    boxes.update(sid, denyOut=[])
    assert curl.get(sid, f"https://{SUB}/", pin=True) == (0, f"hello {SUB} over https")


def test_the_sandbox_cannot_get_around_its_proxy(curl: Curl, boxes: Sandboxes) -> None:
    sid = curl.sandbox(secure=True, network={"denyOut": [DENIED]})
    # the proxy's exemption is a socket mark, which needs CAP_NET_ADMIN
    mark = "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x68757470)"
    code, _, err = boxes.run(sid, f'python3 -c "{mark}"')
    assert code != 0 and "PermissionError" in err
    code, _, _ = boxes.run(sid, "nft flush ruleset")
    assert code != 0
    # the listener itself (127.0.0.52 in LISTEN state), dialled directly: nothing to forward to, it hangs up
    listening = boxes.run(sid, "cat /proc/net/tcp")[1]
    rows = [line.split() for line in listening.splitlines()[1:]]
    port = next(int(f[1].split(":")[1], 16) for f in rows if f[1].startswith("3400007F:") and f[3] == "0A")
    code, out, _ = boxes.run(sid, f"curl -sS -m 5 --resolve {SUB}:{port}:127.0.0.52 http://{SUB}:{port}/")
    assert code != 0 and "hello" not in out
    # other ports are not proxied (and still judged by address)
    assert boxes.probe(sid, curl.host.address, 81) == "FAILED 111"


def _netns_curl(pid: int, url: str, address: str) -> subprocess.CompletedProcess[str]:
    """curl from the host, inside a sandbox's network namespace (no mark: redirected like the sandbox)."""
    name = url.split("/")[2]
    return subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "curl", "-sS", "-m", "5", "-k", "--resolve",
         f"{name}:443:{address}", url],
        capture_output=True, text=True,
    )  # fmt: skip


def test_egress_stays_closed_while_the_proxy_is_down(curl: Curl, boxes: Sandboxes, hutch_server: Any) -> None:
    """The proxy lives in the server: with the server killed, connections to 80/443 find no listener
    (reset), never a way out; after the restart the sandbox's proxy has a new listener and works."""
    sid = curl.sandbox(secure=True, network={"denyOut": [DENIED]})
    assert curl.get(sid, "https://site.test/") == (0, "hello site.test over https")
    state = json.loads((hutch_server.data_dir / "sandboxes" / sid / "state.json").read_text())
    pid = state["child_pid"]
    assert _netns_curl(pid, "https://site.test/", curl.host.address).stdout == "hello site.test over https"
    hutch_server.kill9()
    try:
        down = _netns_curl(pid, "https://site.test/", curl.host.address)
        assert down.returncode == 7 and "hello" not in down.stdout, down  # 7: could not connect
    finally:
        hutch_server.start()
    boxes.http.close()
    boxes.http = hutch_server.http()
    assert curl.get(sid, "https://site.test/") == (0, "hello site.test over https")
    assert curl.get(sid, f"https://{SUB}/", pin=True)[0] == CURL_SSL_ERROR
