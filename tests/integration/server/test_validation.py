"""Bad input gets the right status, the Error shape and a message that says what was wrong."""

from __future__ import annotations

import pytest


def _error(r, status, *words):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == status
    for w in words:
        assert w in body["message"], body["message"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, ["not valid JSON"]),
        (b"[1, 2]", 400, ["JSON object"]),
        (b'{"timeout": 0}', 422, ["timeout", "at least 1"]),
        (b'{"timeout": 86401}', 422, ["timeout", "at most 86400"]),
        (b'{"timeout": "10"}', 422, ["timeout", "integer"]),
        (b'{"timeout": 1.5}', 422, ["timeout", "integer"]),
        (b'{"name": "-bad"}', 422, ["name"]),
        (b'{"metadata": {"a": 1}}', 422, ["metadata.a", "string"]),
        (b'{"envs": {"A=B": "x"}}', 422, ["envs"]),
        (b'{"resources": {"cpu": 0}}', 422, ["resources.cpu", "at least 0.1"]),
        (b'{"resources": {"memoryMB": 10}}', 422, ["resources.memoryMB", "at least 64"]),
        (b'{"lifecycle": {"onTimeout": "explode"}}', 422, ["lifecycle.onTimeout", "kill, pause"]),
        (b'{"allowInternetAccess": "yes"}', 422, ["allowInternetAccess"]),
        (b'{"secure": "yes"}', 422, ["secure", "true or false"]),
        (b'{"security": {"env_masking": {"mask_patterns": ["A B"]}}}', 422, ["security.env_masking.mask_patterns[0]"]),
        (b'{"security": {"env": {"secure_vars": []}}}', 422, ["security.env", "secure_vars"]),
        (b'{"security": {"env": {"mask_patterns": "*_KEY"}}}', 422, ["security.env.mask_patterns"]),
        (b'{"security": {"env": {"mask_patterns": ["K\\u0000"]}}}', 422, ["security.env.mask_patterns[0]"]),
        (b'{"security": {"env": {"mask_patterns": ["\\ud800"]}}}', 400, ["lone surrogate"]),
        (b'{"security": {"env_masking": {"mask_patterns": ["' + b"K" * 129 + b'"]}}}', 422, ["mask_patterns[0]"]),
        (
            b'{"security": {"env_masking": {"mask_patterns": [' + b",".join([b'"A"'] * 65) + b"]}}}",
            422,
            ["mask_patterns"],
        ),
        (b'{"security": {"pii": {"scan_responses": "yes"}}}', 422, ["security.pii.scan_responses"]),
        (b'{"security": {"pii": {"types": ["name"]}}}', 422, ["security.pii.types"]),
        (b'{"security": {"transformations": [{"match": "\\ud800", "replace": "\\u0000"}]}}', 400, ["lone surrogate"]),
        (b'{"security": {"audit": {"enabled": "yes"}}}', 422, ["security.audit.enabled"]),
        (b'{"security": {"bogus": {}}}', 422, ["security", "bogus"]),
        (b'{"templateID": "no-such-template"}', 404, ["no-such-template"]),
    ],
)
def test_create_rejects(http, body, status, words):
    _error(http.post("/sandboxes", content=body, headers={"content-type": "application/json"}), status, *words)


def test_query_and_path_errors(http, make_sandbox):
    _error(http.get("/sandboxes", params={"limit": 0}), 400, "limit")
    _error(http.get("/sandboxes", params={"limit": "x"}), 400, "limit", "integer")
    _error(http.get("/sandboxes", params={"nextToken": "garbage!"}), 400, "nextToken")
    assert http.get("/sandboxes", params={"state": "sleeping"}).json()["sandboxes"] == []
    _error(http.get("/sandboxes/sbx-nope"), 404, "sbx-nope")
    _error(http.get("/no/such/route"), 404)
    sid = make_sandbox().sandbox_id
    _error(http.get(f"/sandboxes/{sid}/metrics", params={"start": "yesterday"}), 400, "start")
    _error(http.post(f"/sandboxes/{sid}/timeout", json={}), 422, "timeout", "required")
    _error(http.post(f"/sandboxes/{sid}/timeout", content=b"x"), 400)
    _error(http.post(f"/sandboxes/{sid}/restore", json={"snapshotID": "snap-nope"}), 404)
    _error(http.get(f"/sandboxes/{sid}/commands/abc"), 400, "pid")  # the spec's check, as at the agent


def test_name_conflict_and_reuse_after_kill(http, make_sandbox):
    first = make_sandbox(name="unique-one")
    _error(http.post("/sandboxes", json={"name": "unique-one"}), 409, "unique-one")
    http.delete(f"/sandboxes/{first.sandbox_id}")
    second = make_sandbox(name="unique-one")
    assert second.name == "unique-one"


def test_idempotent_create(http):
    key = {"Idempotency-Key": "retry-me-1"}
    a = http.post("/sandboxes", json={"timeout": 60, "metadata": {"k": "v"}}, headers=key)
    b = http.post("/sandboxes", json={"timeout": 60, "metadata": {"k": "v"}}, headers=key)
    try:
        assert a.status_code == b.status_code == 201
        assert a.json()["sandboxID"] == b.json()["sandboxID"]
        c = http.post("/sandboxes", json={"timeout": 60}, headers={"Idempotency-Key": "retry-me-2"})
        assert c.json()["sandboxID"] != a.json()["sandboxID"]
        http.delete(f"/sandboxes/{c.json()['sandboxID']}")
    finally:
        http.delete(f"/sandboxes/{a.json()['sandboxID']}")
    _error(http.post("/sandboxes", json={}, headers={"Idempotency-Key": "x" * 201}), 400, "Idempotency-Key")


def test_health(http):
    body = http.get("/health").json()
    assert body["status"] == "ok" and body["version"] and body["missing"] == []
    assert set(body["features"]) == {
        "bubblewrap", "userNamespaces", "cgroups", "freeze", "seccomp", "internet", "egressFilter",
    }  # fmt: skip
