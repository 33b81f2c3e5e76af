"""Egress policy end to end: real sandboxes, the real server, test hosts on this machine.

Reaching the real internet is not testable here (this machine reaches nothing but package
registries, and tests must send traffic only to this machine), so every destination is a test host
in its own network namespace with an address from 198.18.0.0/15 (testhosts.py), named through the
server's hosts file. What this proves about those hosts is what the rules engine does for any
public address: the nft table and the resolver do not know which addresses are test hosts.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from nethelpers import REFUSED_BY_FILTER, Sandboxes, wait_for

pytestmark = pytest.mark.integration


def test_open_policy_reaches_test_hosts_by_name_and_address(boxes: Sandboxes, test_hosts: Any) -> None:
    sid = boxes.create()["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"
    assert boxes.fetch(sid, f"http://{test_hosts['beta'].address}/") == "hello from beta"


def test_allow_out_alone_means_only_those(boxes: Sandboxes, test_hosts: Any) -> None:
    sid = boxes.create(network={"allowOut": ["alpha.test", test_hosts["gamma"].address]})["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"  # allowed by name
    assert boxes.fetch(sid, f"http://{test_hosts['gamma'].address}/") == "hello from gamma"  # by address
    assert boxes.probe(sid, test_hosts["beta"].address, 80) in REFUSED_BY_FILTER
    assert not boxes.resolves(sid, "beta.test")  # names not allowed are not even looked up upstream
    assert boxes.fetch(sid, "http://gamma.test/") == "ERR 6"  # its address is allowed, its name is not


def test_deny_out_refuses_those_and_leaves_the_rest(boxes: Sandboxes, test_hosts: Any) -> None:
    sid = boxes.create(network={"denyOut": ["beta.test", test_hosts["gamma"].address]})["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"
    assert boxes.fetch(sid, "http://delta.test/") == "hello from delta"
    assert not boxes.resolves(sid, "beta.test")
    assert boxes.probe(sid, test_hosts["gamma"].address, 80) in REFUSED_BY_FILTER


def test_an_address_given_by_a_denied_name_is_refused_when_dialled(boxes: Sandboxes, test_hosts: Any) -> None:
    """The sandbox never learns beta's address from us, and dialling it directly still fails: the
    server resolved the denied name itself and put its addresses in the deny set."""
    sid = boxes.create(network={"denyOut": ["beta.test"]})["sandboxID"]
    assert boxes.probe(sid, test_hosts["beta"].address, 80) in REFUSED_BY_FILTER
    # also when the sandbox names it in its own /etc/hosts
    boxes.run(sid, f"echo '{test_hosts['beta'].address} sneaky.example' >> /etc/hosts")
    assert boxes.fetch(sid, "http://sneaky.example/").startswith("ERR")


def test_deny_beats_allow(boxes: Sandboxes, test_hosts: Any) -> None:
    beta, gamma = test_hosts["beta"], test_hosts["gamma"]
    sid = boxes.create(
        network={
            "allowOut": ["198.18.0.0/15", "*.wild.test", "beta.test"],
            "denyOut": ["beta.test", gamma.address, "no.wild.test"],
        }
    )["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "ERR 6"  # in the allowed CIDR, but its name is not allowed
    assert boxes.fetch(sid, f"http://{test_hosts['alpha'].address}/") == "hello from alpha"
    assert not boxes.resolves(sid, "beta.test")  # allowed and denied by name: denied
    assert boxes.probe(sid, beta.address, 80) in REFUSED_BY_FILTER  # ...and its address, inside the allowed CIDR
    assert boxes.probe(sid, gamma.address, 80) in REFUSED_BY_FILTER  # a denied address inside the allowed CIDR
    assert boxes.fetch(sid, "http://api.wild.test/") == "ERR 7"  # allowed wildcard name, denied address (gamma)
    assert not boxes.resolves(sid, "no.wild.test")  # the wildcard allows it, the exact deny wins


def test_deny_everything_then_allow_some_as_e2b_writes_it(boxes: Sandboxes, test_hosts: Any) -> None:
    sid = boxes.create(network={"denyOut": ["0.0.0.0/0"], "allowOut": ["alpha.test"]})["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"
    assert boxes.probe(sid, test_hosts["beta"].address, 80) in REFUSED_BY_FILTER


def test_internet_access_off(boxes: Sandboxes, test_hosts: Any) -> None:
    detail = boxes.create(allowInternetAccess=False)
    sid = detail["sandboxID"]
    assert detail["allowInternetAccess"] is False
    assert detail["network"] == {"allowOut": [], "denyOut": ["0.0.0.0/0", "::/0"], "allowPublicTraffic": True}
    assert boxes.probe(sid, test_hosts["alpha"].address, 80).startswith("FAILED")
    assert not boxes.resolves(sid, "alpha.test")


def test_a_sandbox_without_internet_gets_it_live(boxes: Sandboxes, test_hosts: Any) -> None:
    """allow_internet_access=False starts with no network interface at all; a policy update that
    allows something gives it one (slirp4netns attached to the running sandbox) and the resolver."""
    sid = boxes.create(allowInternetAccess=False)["sandboxID"]
    assert boxes.run(sid, "ip -o link | wc -l")[1].strip() == "1"  # lo only
    pid = boxes.background(sid, "sleep 3600")
    boxes.update(sid, allowOut=["alpha.test"])
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"
    assert boxes.probe(sid, test_hosts["beta"].address, 80) in REFUSED_BY_FILTER
    assert boxes.http.get(f"/sandboxes/{sid}/commands/{pid}").json()["running"] is True


def test_dns_goes_only_to_the_sandbox_resolver(boxes: Sandboxes, test_hosts: Any) -> None:
    sid = boxes.create()["sandboxID"]
    alpha = test_hosts["alpha"].address
    assert boxes.run(sid, "cat /etc/resolv.conf")[1] == "nameserver 127.0.0.53\n"
    assert boxes.probe(sid, alpha, 81) == "FAILED 111"  # reached the host: nothing listens there
    assert boxes.probe(sid, alpha, 53) in REFUSED_BY_FILTER  # DNS elsewhere: stopped in the sandbox
    assert boxes.probe(sid, alpha, 853) in REFUSED_BY_FILTER  # DNS over TLS too
    # the sandbox cannot take the resolver's address over, nor change the filter
    code, _, err = boxes.run(sid, "python3 -c 'import socket; socket.socket(2, 2).bind((\"127.0.0.53\", 53))'")
    assert code != 0 and "Address already in use" in err
    code, _, err = boxes.run(sid, "nft flush ruleset")
    assert code != 0


def test_the_host_and_the_control_plane_are_never_reachable(
    boxes: Sandboxes, test_hosts: Any, host_services: dict[str, int], hutch_server: Any
) -> None:
    """Even a policy that allows every address keeps the host's own services out of reach."""
    sid = boxes.create(network={"allowOut": ["0.0.0.0/0"]})["sandboxID"]
    assert boxes.fetch(sid, f"http://{test_hosts['alpha'].address}/") == "hello from alpha"  # the policy works
    own = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    host_addresses = {line.split()[3].split("/")[0] for line in own.splitlines()}
    assert test_hosts["alpha"].host_side in host_addresses
    for port in (host_services["loopback"], host_services["any"], hutch_server.port):
        for target in ("127.0.0.1", "10.0.2.2", *sorted(host_addresses)):
            assert boxes.probe(sid, target, port).startswith("FAILED"), (target, port)
        # slirp's host alias and the host's own addresses are stopped by the filter itself
        assert boxes.probe(sid, "10.0.2.2", port) in REFUSED_BY_FILTER
        assert boxes.probe(sid, test_hosts["alpha"].host_side, port) in REFUSED_BY_FILTER


@pytest.mark.parametrize("target", ["10.0.2.3", "169.254.169.254", "192.168.1.1", "172.17.0.1", "100.64.0.1"])
def test_private_ranges_stay_blocked_whatever_the_policy(boxes: Sandboxes, target: str) -> None:
    sid = boxes.create(network={"allowOut": ["0.0.0.0/0"]})["sandboxID"]
    assert boxes.probe(sid, target, 80) in REFUSED_BY_FILTER


def test_live_update_without_restarting(boxes: Sandboxes, test_hosts: Any, http: Any) -> None:
    detail = boxes.create()
    sid = detail["sandboxID"]
    beta = test_hosts["beta"]
    sleeper = boxes.background(sid, "sleep 3600")
    assert boxes.fetch(sid, "http://beta.test/") == "hello from beta"

    after = boxes.update(sid, denyOut=["beta.test"])
    assert after["network"]["denyOut"] == ["beta.test"]
    assert not boxes.resolves(sid, "beta.test")
    assert boxes.probe(sid, beta.address, 80) in REFUSED_BY_FILTER
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"

    after = boxes.update(sid, allowOut=["beta.test"])
    assert boxes.fetch(sid, "http://beta.test/") == "hello from beta"
    assert boxes.probe(sid, test_hosts["alpha"].address, 80) in REFUSED_BY_FILTER

    after = boxes.update(sid, allowInternetAccess=False)
    assert after["allowInternetAccess"] is False
    assert boxes.probe(sid, beta.address, 80) in REFUSED_BY_FILTER

    after = boxes.update(sid)  # no lists: open again
    assert after["network"] == {"allowOut": [], "denyOut": [], "allowPublicTraffic": True}
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"

    # the same sandbox and the same processes throughout
    assert after["sandboxID"] == sid and after["startedAt"] == detail["startedAt"]
    procs = {p["pid"]: p for p in http.get(f"/sandboxes/{sid}/commands").json()}
    assert procs[sleeper]["running"] is True


KEEPALIVE = r"""
import socket, sys, time, pathlib
out = open(sys.argv[3], "w", buffering=1)
s = socket.create_connection((sys.argv[1], 80), timeout=5)

def exchange():
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"hello from" not in data:  # headers and body may come in separate reads
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    return data.split(b"\r\n\r\n")[-1].decode()

print("first", exchange(), file=out)
go = pathlib.Path(sys.argv[2])
while not go.exists():
    time.sleep(0.05)
try:
    print("second", exchange(), file=out)
except OSError as e:
    print("second FAILED", e.errno, file=out)
print("done", file=out)
"""


def test_live_update_cuts_established_connections(boxes: Sandboxes, test_hosts: Any) -> None:
    """A kept-alive connection opened before the update carries on without one (control), and is
    refused on its next packet after an update that denies its destination."""
    sid = boxes.create()["sandboxID"]
    boxes.write(sid, "/tmp/keepalive.py", KEEPALIVE.encode())

    def second_request(update: dict[str, Any] | None, n: int) -> str:
        go, out = f"/tmp/go{n}", f"/tmp/out{n}"
        boxes.background(sid, f"python3 /tmp/keepalive.py {test_hosts['beta'].address} {go} {out}")

        def output() -> str:
            return boxes.run(sid, f"cat {out} 2>/dev/null")[1]

        wait_for(lambda: "first hello from beta" in output())
        if update is not None:
            boxes.update(sid, **update)
        boxes.run(sid, f"touch {go}")
        return str(wait_for(lambda: (o := output()) and "done" in o and o, timeout=30))

    assert "second hello from beta" in second_request(None, 1)
    assert "second hello" not in second_request({"denyOut": [test_hosts["beta"].address]}, 2)


def test_info_reports_the_effective_policy(boxes: Sandboxes, http: Any) -> None:
    detail = boxes.create(
        network={
            "allowOut": ["Alpha.Test.", "198.18.3.7/24", "*.Wild.test", "alpha.test"],
            "denyOut": ["2001:DB8::/32"],
            "allowPublicTraffic": False,
        }
    )
    expected = {
        "allowOut": ["alpha.test", "198.18.3.0/24", "*.wild.test"],
        "denyOut": ["2001:db8::/32"],
        "allowPublicTraffic": False,
    }
    assert detail["network"] == expected
    assert detail["trafficAccessToken"]
    assert http.get(f"/sandboxes/{detail['sandboxID']}").json()["network"] == expected
    listed = http.get("/sandboxes").json()["sandboxes"]
    assert next(s for s in listed if s["sandboxID"] == detail["sandboxID"])["network"] == expected


def test_a_default_sandbox_reports_an_open_policy(boxes: Sandboxes) -> None:
    detail = boxes.create()
    assert detail["network"] == {"allowOut": [], "denyOut": [], "allowPublicTraffic": True}
    assert detail["trafficAccessToken"] is None
    assert detail["allowInternetAccess"] is True


@pytest.mark.parametrize(
    ("network", "says"),
    [
        (
            {"allowOut": ["https://example.com"]},
            "'network.allowOut[0]' 'https://example.com' is not an IP address, a CIDR block or a host name",
        ),
        ({"allowOut": ["ok.test", "not a name"]}, "'network.allowOut[1]' 'not a name' is not an IP address"),
        ({"denyOut": ["300.1.1.1"]}, "'network.denyOut[0]' '300.1.1.1' is not an IP address"),
        ({"allowOut": ["10.0.0.5"]}, "network.allowOut[0] '10.0.0.5' lies in 10.0.0.0/8"),
        ({"allowOut": ["127.0.0.1"]}, "which sandboxes can never reach"),
        ({"allowOut": "example.com"}, "'network.allowOut' must be a list of strings"),
        ({"allowOut": [5]}, "'network.allowOut[0]' must be a string"),
        ({"allowOut": ["a.test"] * 257}, "at most 256"),
    ],
)
def test_bad_entries_are_refused_naming_the_entry(boxes: Sandboxes, network: dict[str, Any], says: str) -> None:
    err = boxes.create(expect=422, network=network)
    assert says in err["message"], err


def test_bad_updates_are_refused_and_change_nothing(boxes: Sandboxes) -> None:
    sid = boxes.create(network={"denyOut": ["beta.test"]})["sandboxID"]
    err = boxes.update(sid, expect=422, allowOut=["ok.test", "192.168.0.0/24"])
    assert "allowOut[1] '192.168.0.0/24' lies in 192.168.0.0/16" in err["message"]
    assert boxes.http.get(f"/sandboxes/{sid}").json()["network"]["denyOut"] == ["beta.test"]
    assert boxes.http.put("/sandboxes/sbx-0000000000000000/network", json={}).status_code == 404


def test_security_needs_the_proxy_and_secure_is_accepted(boxes: Sandboxes) -> None:
    # `security` (declaw's proxy policy) is the egress proxy's (test_proxy.py); `secure` is also
    # E2B's access token (tests/integration/server/test_secure.py)
    assert "secure=true" in boxes.create(expect=422, security={"env_masking": {"mask_patterns": ["*_KEY"]}})["message"]
    assert "secure=true" in boxes.create(expect=422, security={"audit": {"enabled": True}})["message"]
    assert boxes.create(secure=True)["envdAccessToken"]


def test_the_policy_survives_a_server_restart(boxes: Sandboxes, test_hosts: Any, hutch_server: Any) -> None:
    sid = boxes.create(network={"allowOut": ["alpha.test"]})["sandboxID"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"
    hutch_server.restart(crash=True)  # the resolver's sockets die with the process
    boxes.http.close()
    boxes.http = hutch_server.http()
    assert boxes.http.get(f"/sandboxes/{sid}").json()["network"]["allowOut"] == ["alpha.test"]
    assert boxes.fetch(sid, "http://alpha.test/") == "hello from alpha"  # resolved again after recovery
    assert not boxes.resolves(sid, "beta.test")
    assert boxes.probe(sid, test_hosts["beta"].address, 80) in REFUSED_BY_FILTER
    boxes.update(sid, allowOut=["beta.test"])
    assert boxes.fetch(sid, "http://beta.test/") == "hello from beta"
