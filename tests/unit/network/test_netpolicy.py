"""The egress rules engine: parsing, precedence, name decisions and the nft ruleset it compiles to.

The compiled ruleset is also loaded into a throwaway network namespace (`unshare -n nft -f`) when this
machine can, so a syntax nft rejects fails here rather than in a sandbox.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hutchd.runtime.netpolicy import (
    ALWAYS_BLOCKED,
    NetworkPolicy,
    Pin,
    PolicyError,
    add_pins_script,
    blocked_reason,
    host_blocked_script,
    no_proxy_script,
    parse_entry,
    proxy_ruleset,
    ruleset,
)

# ----------------------------------------------------------------------------- entries


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("198.18.0.1", "net", "198.18.0.1"),
        ("198.18.0.0/15", "net", "198.18.0.0/15"),
        ("198.18.3.7/24", "net", "198.18.3.0/24"),  # host bits dropped
        (" 8.8.8.8 ", "net", "8.8.8.8"),
        ("2001:db8::1", "net", "2001:db8::1"),
        ("2001:DB8::/32", "net", "2001:db8::/32"),
        ("0.0.0.0/0", "net", "0.0.0.0/0"),
        ("::/0", "net", "::/0"),
        ("example.com", "name", "example.com"),
        ("Example.COM.", "name", "example.com"),
        ("api.svc_1.example-host.test", "name", "api.svc_1.example-host.test"),
        ("localhost", "name", "localhost"),
        ("*.example.com", "wildcard", "*.example.com"),
        ("*.Example.com.", "wildcard", "*.example.com"),
        ("xn--bcher-kva.example", "name", "xn--bcher-kva.example"),
    ],
)
def test_entries_parse_and_normalise(raw: str, kind: str, value: str) -> None:
    entry = parse_entry(raw)
    assert (entry.kind, entry.value) == (kind, value)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("https://example.com", "URL"),
        ("example.com/path", "URL"),
        ("example.com:443", "port"),
        ("exa mple.com", "whitespace"),
        ("bücher.example", "ASCII form"),
        ("*", "bare *"),
        ("*.", "bare *"),
        ("foo.*.example.com", "first label"),
        ("**.example.com", "first label"),
        ("-bad.example.com", "not a valid domain name"),
        ("bad-.example.com", "not a valid domain name"),
        ("a..b", "not a valid domain name"),
        ("x" * 64 + ".com", "not a valid domain name"),
        ("a." * 127 + "com", "longer than 253"),
        ("300.1.1.1", "not a valid IP address"),
        ("1.2.3", "not a valid IP address"),
        ("1.2.3.4/33", "not a valid IP address or CIDR"),
        ("1.2.3.4/abc", "not a valid CIDR"),
        ("2001:db8::zz", "not a valid"),
        ("01.2.3.4", "not a valid IP address"),
        ("a.b.123", "neither a valid IP address nor a domain name"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(PolicyError) as e:
        parse_entry(raw, "network.allowOut[3]")
    assert "network.allowOut[3]" in str(e.value)
    assert says in str(e.value)


@pytest.mark.parametrize("raw", [None, 5, ["a.com"], {"x": 1}, True])
def test_non_strings_are_refused(raw: object) -> None:
    with pytest.raises(PolicyError, match="must be a string"):
        parse_entry(raw, "denyOut[0]")


def test_lists_must_be_lists_and_bounded() -> None:
    with pytest.raises(PolicyError, match="allowOut must be a list"):
        NetworkPolicy.build(allow_out="example.com")  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="at most 256"):
        NetworkPolicy.build(deny_out=[f"198.18.{i // 250}.{i % 250}" for i in range(257)])


def test_the_error_names_the_list_and_index() -> None:
    with pytest.raises(PolicyError, match=r"network\.denyOut\[1\] 'no way'"):
        NetworkPolicy.build(["ok.example"], ["fine.example", "no way"], prefix="network.")


def test_duplicates_are_dropped_and_order_kept() -> None:
    p = NetworkPolicy.build(["b.example", "A.example", "b.example.", "198.18.0.1", "198.18.0.1"])
    assert p.allow_out == ("b.example", "a.example", "198.18.0.1")


# ----------------------------------------------------------------------------- always-blocked ranges


@pytest.mark.parametrize(
    "addr",
    ["10.1.2.3", "10.0.2.2", "172.16.5.4", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.169.254",
     "100.64.0.1", "0.1.2.3", "224.0.0.251", "255.255.255.255", "::1", "fe80::1", "fd00::2", "fc00::/8",
     "::ffff:10.0.0.1", "ff02::1", "10.0.0.0/9"],
)  # fmt: skip
def test_allowing_an_always_blocked_range_is_an_error(addr: str) -> None:
    with pytest.raises(PolicyError) as e:
        NetworkPolicy.build(allow_out=[addr], prefix="network.")
    assert "network.allowOut[0]" in str(e.value)
    assert "can never reach" in str(e.value)


@pytest.mark.parametrize(
    "addr", ["198.18.0.1", "8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "2001:db8::1"]
)
def test_public_and_benchmark_addresses_are_not_always_blocked(addr: str) -> None:
    assert NetworkPolicy.build(allow_out=[addr]).allow_out == (addr,)


def test_wide_allows_overlapping_blocked_ranges_are_fine() -> None:
    # 0.0.0.0/0 and 8.0.0.0/5 contain private ranges but also public space: they stay allowed;
    # the blocked ranges inside them are still refused by the ruleset (tested below).
    p = NetworkPolicy.build(allow_out=["0.0.0.0/0", "8.0.0.0/5"])
    assert p.allow_out == ("0.0.0.0/0", "8.0.0.0/5")


def test_denying_a_blocked_range_is_harmless() -> None:
    assert NetworkPolicy.build(deny_out=["10.0.0.0/8"]).deny_out == ("10.0.0.0/8",)


def test_blocked_reason_names_the_range() -> None:
    import ipaddress

    assert "10.0.0.0/8" in (blocked_reason(ipaddress.ip_network("10.9.0.0/16")) or "")
    assert blocked_reason(ipaddress.ip_network("198.18.0.0/15")) is None


# ----------------------------------------------------------------------------- precedence and modes


def test_no_policy_is_open() -> None:
    p = NetworkPolicy()
    assert not p.default_deny(4) and not p.default_deny(6)
    assert not p.names_restricted
    assert p.resolves("anything.example")


def test_allow_out_alone_means_only_those() -> None:
    p = NetworkPolicy.build(allow_out=["198.18.1.0/24", "api.example.com"])
    assert p.default_deny(4) and p.default_deny(6)
    assert p.names_restricted
    assert p.resolves("api.example.com")
    assert not p.resolves("other.example.com")  # not even asked upstream: no DNS exfiltration


def test_deny_out_alone_leaves_the_rest_open() -> None:
    p = NetworkPolicy.build(deny_out=["198.18.1.0/24", "bad.example"])
    assert not p.default_deny(4)
    assert [str(n) for n in p.deny_nets(4)] == ["198.18.1.0/24"]
    assert not p.resolves("bad.example")
    assert p.resolves("good.example")


def test_deny_wins_over_allow() -> None:
    p = NetworkPolicy.build(allow_out=["*.example.com", "198.18.0.0/15"], deny_out=["bad.example.com", "198.18.1.7"])
    assert p.name_verdict("ok.example.com") == "allow"
    assert p.name_verdict("bad.example.com") == "deny"
    assert not p.resolves("bad.example.com")
    assert [str(n) for n in p.deny_nets(4)] == ["198.18.1.7/32"]


def test_deny_wins_for_the_same_name() -> None:
    p = NetworkPolicy.build(allow_out=["x.example"], deny_out=["x.example"])
    assert p.name_verdict("x.example") == "deny"


def test_catch_all_deny_is_the_default_not_an_override() -> None:
    """E2B's idiom: deny everything, allow a few: the allows still work."""
    p = NetworkPolicy.build(allow_out=["198.18.1.2", "api.example.com"], deny_out=["0.0.0.0/0"])
    assert p.default_deny(4)
    assert p.deny_nets(4) == []  # 0.0.0.0/0 is not put in the deny set, where it would beat every allow
    assert [str(n) for n in p.allow_nets(4)] == ["198.18.1.2/32"]
    assert p.resolves("api.example.com")


def test_deny_all_is_allow_internet_access_false() -> None:
    p = NetworkPolicy.deny_all()
    assert p.deny_out == ("0.0.0.0/0", "::/0")
    assert p.default_deny(4) and p.default_deny(6) and p.denies_everything
    assert not p.resolves("example.com")


def test_catch_all_per_family() -> None:
    p = NetworkPolicy.build(deny_out=["::/0"])
    assert p.default_deny(6) and not p.default_deny(4)
    assert not p.names_restricted


def test_allowing_everything_keeps_names_open() -> None:
    p = NetworkPolicy.build(allow_out=["0.0.0.0/0"], deny_out=["bad.example"])
    assert not p.names_restricted
    assert p.resolves("anything.example") and not p.resolves("bad.example")


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("a.example.com", "allow"),
        ("a.b.example.com", "allow"),
        ("A.Example.Com.", "allow"),
        ("example.com", "unlisted"),  # a wildcard covers names below, not the name itself
        ("badexample.com", "unlisted"),
        ("example.com.evil", "unlisted"),
    ],
)
def test_wildcards_match_subdomains_only(name: str, verdict: str) -> None:
    assert NetworkPolicy.build(allow_out=["*.example.com"]).name_verdict(name) == verdict


def test_exact_and_denied_names_for_pre_resolution() -> None:
    p = NetworkPolicy.build(["a.test", "*.w.test", "198.18.0.1"], ["b.test", "*.x.test", "198.18.0.2"])
    assert p.allow_names() == ["a.test"]
    assert p.deny_names() == ["b.test"]


def test_json_round_trip_and_api_shape() -> None:
    p = NetworkPolicy.build(["a.test", "198.18.0.0/24"], ["b.test"], allow_public_traffic=False)
    assert p.to_api() == {"allowOut": ["a.test", "198.18.0.0/24"], "denyOut": ["b.test"], "allowPublicTraffic": False}
    q = NetworkPolicy.from_json(p.to_json())
    assert q == p and q.resolves("a.test") and not q.resolves("c.test")
    assert NetworkPolicy.from_json(None) == NetworkPolicy()
    assert p.with_public_traffic(True).allow_public_traffic


def test_mask_request_host_round_trips_and_names_the_host() -> None:
    p = NetworkPolicy.build(["a.test"], mask_request_host="${PORT}-app.example.com")
    assert p.to_api()["maskRequestHost"] == "${PORT}-app.example.com"
    q = NetworkPolicy.from_json(p.to_json())
    assert q == p and q.request_host(8000) == "8000-app.example.com"
    assert q.with_public_traffic(False).mask_request_host == "${PORT}-app.example.com"
    assert NetworkPolicy().request_host(3000) == "localhost:3000"


def test_direct_construction_parses_too() -> None:
    p = NetworkPolicy(allow_out=("a.test",))
    assert p.names_restricted and p.resolves("a.test")
    with pytest.raises(PolicyError):
        NetworkPolicy(allow_out=("not a name",))


# ----------------------------------------------------------------------------- the nft ruleset


def _chain(script: str) -> list[str]:
    lines = script.splitlines()
    start = lines.index("  chain egress {")
    return [line.strip() for line in lines[start + 2 : lines.index("  }", start)]]


def test_ruleset_order_blocked_then_dns_then_deny_then_allow_then_default() -> None:
    p = NetworkPolicy.build(["198.18.1.0/24"], ["198.18.1.7"])
    rules = _chain(ruleset(p, generation=7))
    names = [r.split()[1] if r.startswith(("ip ", "ip6 ")) else r for r in rules]
    assert rules[0] == 'oifname "lo" accept'
    assert names[1:3] == ["daddr", "daddr"] and "@blocked4" in rules[1] and "@blocked6" in rules[2]
    assert "th dport { 53, 853 }" in rules[3] and "reject" in rules[3]
    assert rules[4] == "ct state established,related ct mark 0x00000007 accept"
    order = [next(s for s in ("@deny", "@pin_deny", "@allow", "@pin_allow") if s in r) for r in rules[5:13]]
    assert order == ["@deny", "@deny", "@pin_deny", "@pin_deny", "@allow", "@allow", "@pin_allow", "@pin_allow"]
    assert all("reject" in r for r in rules[5:9]) and all("accept" in r for r in rules[9:13])
    assert rules[13] == "meta nfproto ipv4 counter reject with icmpx type admin-prohibited"


def test_ruleset_open_policy_accepts_by_default() -> None:
    rules = _chain(ruleset(NetworkPolicy(), generation=1))
    assert rules[-2] == "meta nfproto ipv4 ct mark set 0x00000001 accept"
    assert rules[-1] == "meta nfproto ipv6 ct mark set 0x00000001 accept"


def test_ruleset_replaces_the_table_atomically() -> None:
    script = ruleset(NetworkPolicy(), generation=1)
    assert script.startswith("table inet hutch\ndelete table inet hutch\ntable inet hutch {\n")


def test_ruleset_sets_hold_entries_host_addresses_and_pins() -> None:
    p = NetworkPolicy.build(["198.18.1.0/24", "2001:db8::/32"], ["198.18.1.7", "0.0.0.0/0"])
    script = ruleset(
        p,
        generation=3,
        host_addresses=["192.0.2.2", "fd00::2", "fe80::1%eth0", "garbage"],
        pins=[Pin("198.18.2.2", 900, False), Pin("198.18.3.3", 3600, True), Pin("2001:db8::5", 0, False)],
    )
    sets = {line.split()[1]: line for line in script.splitlines() if line.startswith("  set ")}
    for blocked, _ in ALWAYS_BLOCKED:
        assert blocked in sets["blocked6" if ":" in blocked else "blocked4"]
    assert "192.0.2.2" in sets["blocked4"] and "fd00::2" in sets["blocked6"] and "fe80::1 " in sets["blocked6"]
    assert "elements = { 198.18.1.7/32 }" in sets["deny4"]
    assert "0.0.0.0/0" not in sets["deny4"]
    assert "elements = { 198.18.1.0/24 }" in sets["allow4"]
    assert "elements = { 2001:db8::/32 }" in sets["allow6"]
    assert "198.18.2.2 timeout 900s" in sets["pin_allow4"]
    assert "198.18.3.3 timeout 3600s" in sets["pin_deny4"]
    assert "2001:db8::5 timeout 1s" in sets["pin_allow6"]
    assert "elements" not in sets["deny6"]


@pytest.mark.parametrize("gen", [0, -1, 2**31])
def test_generation_is_a_positive_31_bit_number(gen: int) -> None:
    with pytest.raises(ValueError):
        ruleset(NetworkPolicy(), generation=gen)


def test_incremental_scripts() -> None:
    assert add_pins_script([Pin("198.18.0.9", 60, True), Pin("2001:db8::9", 30, False)]) == (
        "add element inet hutch pin_deny4 { 198.18.0.9 timeout 60s }\n"
        "add element inet hutch pin_allow6 { 2001:db8::9 timeout 30s }\n"
    )
    script = host_blocked_script(["198.18.5.1"])
    assert "flush set inet hutch blocked4" in script and "198.18.5.1" in script and "10.0.0.0/8" in script


# ----------------------------------------------------------------------------- the egress proxy's view


@pytest.mark.parametrize(
    ("allow", "deny", "name", "address", "refused"),
    [
        ([], [], "any.example", "198.18.0.2", None),  # the open policy
        ([], [], None, "198.18.0.2", None),
        ([], ["*.bad.test"], "x.bad.test", "198.18.0.2", "x.bad.test is denied"),
        ([], ["bad.test"], "BAD.test.", "198.18.0.2", "is denied"),
        (["good.test"], [], "good.test", "198.18.0.2", None),
        (["good.test"], [], "other.test", "198.18.0.2", "other.test is not in the sandbox's allow list"),
        (["good.test"], [], None, "198.18.0.2", "names no host"),
        (["198.18.0.0/24"], ["bad.test"], "other.test", "198.18.0.2", None),  # the address is listed
        (["198.18.0.0/24"], ["bad.test"], None, "198.18.0.2", None),
        (["198.18.0.0/24"], ["bad.test"], "bad.test", "198.18.0.2", "bad.test is denied"),
        (["198.18.0.0/24", "good.test"], [], "other.test", "198.18.1.2", "not in the sandbox's allow list"),
        (["0.0.0.0/0"], ["*.bad.test"], "ok.test", "203.0.113.9", None),
    ],
)
def test_traffic_refusal(allow: list[str], deny: list[str], name: str | None, address: str, refused: object) -> None:
    why = NetworkPolicy.build(allow, deny).traffic_refusal(name, address)
    assert why is None if refused is None else str(refused) in (why or "")


def test_proxy_ruleset() -> None:
    up = proxy_ruleset(41234)
    assert "type nat hook output priority -100" in up and "dnat ip to 127.0.0.52:41234" in up
    assert "meta mark 0x68757470 accept" in up and "tcp dport { 80, 443 }" in up
    down = proxy_ruleset(None)
    assert "dnat ip to" not in down and "tcp dport { 80, 443 } counter reject with tcp reset" in down
    assert "priority -150" in ruleset(NetworkPolicy(), generation=1)  # the address rules run before the NAT


def _can_run_nft() -> bool:
    return os.geteuid() == 0 and shutil.which("nft") is not None and shutil.which("unshare") is not None


@pytest.mark.skipif(not _can_run_nft(), reason="needs root, nft and unshare to load rules in a scratch netns")
def test_nft_accepts_what_we_compile(tmp_path) -> None:
    p = NetworkPolicy.build(["198.18.1.0/24", "a.test", "2001:db8::/32"], ["198.18.1.7", "b.test", "0.0.0.0/0"])
    full = ruleset(
        p, generation=9, host_addresses=["127.0.0.1", "192.0.2.2", "fe80::1"], pins=[Pin("198.18.2.2", 60, False)]
    )
    (tmp_path / "a.nft").write_text(full + full)  # twice: re-applying must work
    (tmp_path / "b.nft").write_text(
        add_pins_script([Pin("198.18.9.9", 60, True)])
        + host_blocked_script(["1.2.3.4"])
        + proxy_ruleset(40000)
        + proxy_ruleset(None)  # the proxy went down: its table is replaced by the refusing one
        + no_proxy_script()
        + proxy_ruleset(40001)
    )
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            "sh",
            "-c",
            f"nft -f {tmp_path}/a.nft && nft -f {tmp_path}/b.nft && nft list ruleset",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "198.18.9.9" in proc.stdout and "1.2.3.4" in proc.stdout
    assert "dnat ip to 127.0.0.52:40001" in proc.stdout and "reject with tcp reset" not in proc.stdout
