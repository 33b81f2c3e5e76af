"""Hostile input on the parameters issue 12 added: `listSandboxes`' `startedAfter` and `order`,
`maskRequestHost` (create and `updateSandboxNetwork`) and `watchDir`'s `includeEntry`. Each is refused
with a 4xx in the Error shape, and nothing changes."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}


def _error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == status, body
    for w in words:
        assert w in body["message"], body["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("startedAfter=yesterday", ["startedAfter"]),
        ("startedAfter=2026-01-01T00:00:00%00", ["startedAfter"]),
        ("startedAfter=%ED%A0%80", ["startedAfter"]),  # a lone surrogate, UTF-8 encoded
        ("startedAfter=" + "9" * 5000, ["startedAfter"]),
        ("order=sideways", ["order"]),
        ("order=1", ["order"]),
        ("order=ASC", ["order"]),
    ],
)
def test_bad_list_parameters_are_400(http, query, words):
    _error(http.get(f"/sandboxes?{query}"), 400, *words)


@pytest.mark.backends("local", "local+postgresql")
def test_list_order_and_started_after(http, make_sandbox):
    older = make_sandbox(metadata={"e2b-params": "order"}).sandbox_id
    newer = make_sandbox(metadata={"e2b-params": "order"}).sandbox_id
    base = {"metadata": "e2b-params=order"}
    ids = lambda params: [s["sandboxID"] for s in http.get("/sandboxes", params={**base, **params}).json()["sandboxes"]]  # noqa: E731
    assert ids({}) == [newer, older] == ids({"order": "desc"})
    assert ids({"order": "asc"}) == [older, newer]
    first = http.get("/sandboxes", params={**base, "order": "asc", "limit": 1}).json()
    assert [s["sandboxID"] for s in first["sandboxes"]] == [older]
    assert ids({"order": "asc", "limit": 1, "nextToken": first["nextToken"]}) == [newer]
    assert ids({"startedAfter": "2000-01-01T00:00:00Z"}) == [newer, older]
    assert ids({"startedAfter": "2999-01-01T00:00:00"}) == []  # no offset: UTC


@pytest.mark.parametrize(
    ("mask", "status", "words"),
    [
        ("has space", 422, ["maskRequestHost", "host name"]),
        ("${HOST}.example", 422, ["maskRequestHost"]),
        ("a\u0000b", 422, ["maskRequestHost"]),
        ("x" * 254, 422, ["maskRequestHost"]),
        ("", 422, ["maskRequestHost"]),
        (42, 422, ["maskRequestHost"]),
        ("example.test:123456", 422, ["maskRequestHost"]),
        ("example.test:0", 422, ["maskRequestHost", "1 to 65535"]),
        ("example.test:65536", 422, ["maskRequestHost"]),
    ],
)
def test_bad_mask_request_host_is_refused_and_changes_nothing(http, make_sandbox, mask, status, words):
    sandbox_id = make_sandbox(network={"maskRequestHost": "${PORT}-keep.test"}).sandbox_id
    _error(http.put(f"/sandboxes/{sandbox_id}/network", json={"maskRequestHost": mask}), status, *words)
    assert http.get(f"/sandboxes/{sandbox_id}").json()["network"]["maskRequestHost"] == "${PORT}-keep.test"
    before = http.get("/sandboxes").json()["sandboxes"]
    _error(http.post("/sandboxes", json={"network": {"maskRequestHost": mask}}), status, *words)
    assert http.get("/sandboxes").json()["sandboxes"] == before


def test_mask_request_host_lone_surrogate_is_400(http, make_sandbox):
    sandbox_id = make_sandbox().sandbox_id
    body = b'{"maskRequestHost": "a\\ud800"}'
    _error(http.put(f"/sandboxes/{sandbox_id}/network", content=body, headers=JSON), 400, "surrogate")
    assert "maskRequestHost" not in http.get(f"/sandboxes/{sandbox_id}").json()["network"]


def test_watch_include_entry_must_be_a_boolean(http, make_sandbox):
    sandbox_id = make_sandbox().sandbox_id
    r = http.get(f"/sandboxes/{sandbox_id}/files/watch", params={"path": "/tmp", "includeEntry": "maybe"})
    _error(r, 400, "includeEntry")
