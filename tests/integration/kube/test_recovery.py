"""A kubernetes replica's start on the emulated cluster (tests/integration/kube/cluster.py): it asks the
agents of the pods it adopts at once, not one after another, and it leaves the pods of another live
replica's own work (build steps: no record names them) alone whatever their age."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
from test_kubernetes_backend import _create, _pod_agent, _read, _replica, _stall, _until
from test_kubernetes_backend import kube as kube  # the fixture, shared

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql")]

SILENT = 3


@pytest.fixture(scope="module")
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


async def test_a_replica_starting_asks_all_silent_agents_at_once(hutch_server, http: httpx.Client, kube) -> None:
    """Pods whose agents answer nothing during the whole start (Running and Ready: adopted as recorded,
    unchecked) are each asked for the backend's whole ask budget. Asked at once, every one is asked again
    before any is given up on; one after another, the second would be asked only once the first was given
    up on, a whole budget later, and the replica would serve after SILENT budgets instead of about one."""
    sids = [_create(http) for _ in range(SILENT)]
    try:
        for sid in sids:
            async with _pod_agent(kube, sid) as agent:
                await _stall(kube, sid, True)
                await _until(agent, answering=False)
        with _replica(hutch_server, name="adopting") as replica, replica.http() as other:
            log = _read(replica.log_path)
            assert "destroying" not in log, log[-3000:]
            given_up = [log.find(f"sandbox {sid} adopted running as recorded, unchecked") for sid in sids]
            asked_again = [log.find(f"the agent of {sid} did not answer GET /freeze") for sid in sids]
            assert -1 not in given_up and -1 not in asked_again, log[-3000:]
            assert max(asked_again) < min(given_up), log[-3000:]
            assert [other.get(f"/sandboxes/{sid}").json()["state"] for sid in sids] == ["running"] * SILENT
    finally:
        for sid in sids:
            with contextlib.suppress(Exception):
                await _stall(kube, sid, False)
            http.delete(f"/sandboxes/{sid}")
