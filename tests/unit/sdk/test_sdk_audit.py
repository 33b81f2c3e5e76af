"""``security=`` (declaw's policy, typed or as its dict) and ``get_audit_log``, both flavors, against respx."""

from __future__ import annotations

import datetime

import pytest
from sdk_fakes import detail, sent_json

from hutch import (
    AuditPolicy,
    EnvMaskingConfig,
    InjectionDefenseConfig,
    InvalidArgumentException,
    PIIConfig,
    SecurityPolicy,
    TransformationRule,
)

ENTRY = {
    "time": "2026-12-06T04:00:00.123Z", "host": "api.example.com", "address": "203.0.113.9", "port": 443,
    "protocol": "tls", "decision": "refused", "reason": "api.example.com is denied", "decrypted": False,
    "bytesOut": 517, "bytesIn": 7,
}  # fmt: skip


async def test_security_is_sent_typed_or_as_declaws_dict(sdk, api) -> None:
    created = api.post("/sandboxes").respond(201, json=detail())
    sbx = await sdk.create(security=SecurityPolicy(audit=AuditPolicy(enabled=True)))
    assert sent_json(created)["security"] == {"audit": {"enabled": True}}
    await sdk(sbx.close())
    sbx = await sdk.create(security={"audit": {}, "pii": {}})
    assert sent_json(created)["security"] == {"audit": {}, "pii": {}}
    await sdk(sbx.close())


async def test_get_audit_log_pages_and_filters(sdk, api) -> None:
    route = api.get("/sandboxes/sb1/audit-log").respond(200, json={"entries": [ENTRY], "nextCursor": "812"})
    api.post("/sandboxes").respond(201, json=detail())
    sbx = await sdk.create()
    page = await sdk(sbx.get_audit_log(limit=1, cursor="10", host="api.example.com", decision="refused"))
    sent = route.calls[-1].request.url.params
    assert dict(sent) == {"limit": "1", "cursor": "10", "host": "api.example.com", "decision": "refused"}
    [e] = page.entries
    assert page.next_cursor == "812"
    assert (e.host, e.port, e.decision, e.bytes_out, e.bytes_in, e.decrypted) == (
        "api.example.com", 443, "refused", 517, 7, False,
    )  # fmt: skip
    assert e.time == datetime.datetime(2026, 12, 6, 4, 0, 0, 123000, tzinfo=datetime.UTC)
    await sdk(sbx.get_audit_log())
    assert dict(route.calls[-1].request.url.params) == {}  # the server's defaults
    with pytest.raises(InvalidArgumentException, match="decision"):
        await sdk(sbx.get_audit_log(decision="maybe"))  # type: ignore[arg-type]
    await sdk(sbx.close())


async def test_update_security_replaces_the_policy(sdk, api) -> None:
    route = api.put("/sandboxes/sb1/security").respond(200, json={"audit": {"enabled": True}})
    api.post("/sandboxes").respond(201, json=detail())
    sbx = await sdk.create()
    assert await sdk(sbx.update_security(SecurityPolicy(audit=AuditPolicy(enabled=True)))) == {
        "audit": {"enabled": True}
    }
    assert sent_json(route) == {"audit": {"enabled": True}}
    with pytest.raises(InvalidArgumentException, match="SecurityPolicy"):
        await sdk(sbx.update_security("audit"))  # type: ignore[arg-type]
    await sdk(sbx.close())


async def test_body_reading_parts_are_sent_in_declaws_form_and_findings_come_back(sdk, api) -> None:
    created = api.post("/sandboxes").respond(201, json=detail())
    policy = SecurityPolicy(
        pii=PIIConfig(types=["email", "credit_card"], action="redact", rehydrate_response=True, scan_responses=True),
        transformations=[TransformationRule(match="a(b)", replace=r"\1", direction="outbound", domains=["x.test"])],
        injection_defense=InjectionDefenseConfig(sensitivity="high", action="log"),
        env=EnvMaskingConfig(mask_patterns=["*_KEY", "DB_*"]),
    )
    sbx = await sdk.create(security=policy)
    assert sent_json(created)["security"] == {
        "pii": {
            "types": ["email", "credit_card"],
            "action": "redact",
            "rehydrate_response": True,
            "scan_responses": True,
        },
        "transformations": [{"match": "a(b)", "replace": r"\1", "direction": "outbound", "domains": ["x.test"]}],
        "injection_defense": {"sensitivity": "high", "action": "log"},
        "env": {"mask_patterns": ["*_KEY", "DB_*"]},
    }
    finding = {"policy": "pii", "type": "email", "action": "redact", "count": 2}
    request = {**ENTRY, "protocol": "https", "method": "POST", "path": "/v1", "status": 200, "findings": [finding]}
    api.get("/sandboxes/sb1/audit-log").respond(200, json={"entries": [ENTRY, request], "nextCursor": None})
    connection, req = (await sdk(sbx.get_audit_log())).entries
    assert (connection.method, connection.status, connection.findings) == (None, None, [])
    assert (req.method, req.path, req.status, req.findings) == ("POST", "/v1", 200, [finding])
    await sdk(sbx.close())
