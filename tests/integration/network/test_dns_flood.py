"""One sandbox's DNS flood does not starve another's lookups (issue 11, defect 8): the flooder is
answered REFUSED past its rate, and the other sandbox's lookups all succeed meanwhile. How fast they
stay is bench/bench_dns_flood.py's business, not a test's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from nethelpers import Sandboxes, wait_for

pytestmark = pytest.mark.integration

# Sends A questions for one name to the sandbox resolver for 3 s as fast as it can, leaving the
# replies in a large receive buffer, then counts each rcode it got back.
FLOOD = r"""
import json, os, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
s.connect(("127.0.0.53", 53))
name = b"\x05alpha\x04test\x00" + struct.pack("!HH", 1, 1)
sent, end = 0, time.monotonic() + 3
while time.monotonic() < end:
    s.send(struct.pack("!HHHHHH", sent & 0xFFFF, 0x0100, 1, 0, 0, 0) + name)
    sent += 1
rcodes = {}
s.settimeout(0.5)
try:
    while True:
        rcode = s.recv(4096)[3] & 15
        rcodes[rcode] = rcodes.get(rcode, 0) + 1
except TimeoutError:
    pass
json.dump({"sent": sent, "rcodes": rcodes}, open("/tmp/flood.json.tmp", "w"))
os.rename("/tmp/flood.json.tmp", "/tmp/flood.json")
"""


def test_a_flooding_sandbox_is_refused_while_another_resolves(boxes: Sandboxes, test_hosts: Any) -> None:
    flooder = boxes.create()["sandboxID"]
    other = boxes.create()["sandboxID"]
    boxes.write(flooder, "/tmp/flood.py", FLOOD.encode())
    boxes.background(flooder, "python3 /tmp/flood.py")
    lookups = "for i in $(seq 30); do getent hosts alpha.test >/dev/null || exit 1; done; echo ok"
    code, out, err = boxes.run(other, lookups)
    assert (code, out.strip()) == (0, "ok"), err
    raw = wait_for(lambda: boxes.run(flooder, "cat /tmp/flood.json 2>/dev/null")[1], timeout=30)
    result = json.loads(raw)
    rcodes = {int(k): v for k, v in result["rcodes"].items()}
    assert rcodes.get(5, 0) > 0, result  # REFUSED
    assert rcodes.get(0, 0) > 0, result  # answered within its rate
    assert sum(rcodes.values()) < result["sent"], result  # and past its refusals, dropped
    assert boxes.resolves(other, "alpha.test")
