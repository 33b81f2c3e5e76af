"""hopx's names (seed 002), sync and async, against a respx-mocked server: create's keywords, info's
``public_host``/``status``, run_code's keywords, processes as dicts, start/stop, sbx.cache and
``list(status=)``."""

from __future__ import annotations

import pytest
from sdk_fakes import BASE, KEY, command_events, detail, ndjson, process, sent_json

from hutch import InvalidArgumentException

RUN = "/sandboxes/sb1/code/run"
OUTPUT = "/sandboxes/sb1/commands/7/output"


async def test_create_takes_hopx_keywords(sdk, api, created):
    sandbox = await sdk.create(
        template_id="code-interpreter",
        timeout_seconds=120,
        internet_access=False,
        env_vars={"A": "1"},
        region="us-east",
        base_url=BASE,
    )
    body = sent_json(created)
    assert (body["templateID"], body["timeout"], body["allowInternetAccess"]) == ("code-interpreter", 120, False)
    assert body["envs"] == {"A": "1"} and "region" not in str(body)
    assert str(created.calls[-1].request.url).startswith(BASE)
    await sdk(sandbox.close())
    with pytest.raises(InvalidArgumentException, match="disagree"):
        await sdk.create(template="base", template_id="other")
    with pytest.raises(InvalidArgumentException, match="disagree"):
        await sdk.create(timeout=10, timeout_seconds=20)
    with pytest.raises(InvalidArgumentException, match="disagree"):
        await sdk.create(domain="localhost:1", base_url=BASE)
    with pytest.raises(InvalidArgumentException, match="region"):
        await sdk.create(region=5)
    assert len(created.calls) == 1


async def test_info_has_public_host_and_status(sdk, api, sbx):
    api.get("/sandboxes/sb1").respond(200, json=detail(state="paused"))
    info = await sdk(sbx.get_info())
    assert (info.status, info.state) == ("paused", "paused")
    assert info.public_host == f"{BASE}/sandboxes/sb1"


async def test_run_code_takes_hopx_keywords(sdk, api, sbx):
    route = api.post(RUN).respond(200, content=ndjson({"type": "done", "exitCode": 0, "status": "ok"}))
    await sdk(sbx.run_code("1", timeout_seconds=5, env={"X": "y"}, working_dir="/tmp"))
    assert (sent_json(route)["timeout"], sent_json(route)["envs"], sent_json(route)["cwd"]) == (5.0, {"X": "y"}, "/tmp")
    await sdk.items(sbx.run_code_stream("1", timeout_seconds=7))
    assert sent_json(route)["timeout"] == 7.0
    with pytest.raises(InvalidArgumentException, match="disagree"):
        await sdk(sbx.run_code("1", cwd="/a", working_dir="/b"))


async def test_processes_as_hopx_dicts(sdk, api, sbx):
    api.get("/sandboxes/sb1/commands").respond(
        200,
        json=[
            process(pid=7, cmd="sleep 9"),
            process(pid=8, running=False, exitCode=0),
            process(pid=9, running=False, exitCode=1),
            process(pid=10, running=False, exitCode=137, signal=9),
        ],
    )
    listed = await sdk(sbx.list_processes())
    assert [(p["process_id"], p["pid"], p["status"]) for p in listed] == [
        ("7", 7, "running"),
        ("8", 8, "completed"),
        ("9", 9, "failed"),
        ("10", 10, "killed"),
    ]
    assert listed[0]["name"] == "sleep 9" and listed[0]["start_time"].startswith("2025-01-01")
    api.delete("/sandboxes/sb1/commands/7").respond(204)
    assert await sdk(sbx.kill_process("7")) == {
        "process_id": "7",
        "success": True,
        "message": "Process killed successfully",
    }
    api.delete("/sandboxes/sb1/commands/8").respond(404, json={"code": 404, "message": "no such command"})
    assert (await sdk(sbx.kill_process(8)))["success"] is False
    with pytest.raises(InvalidArgumentException, match="process_id"):
        await sdk(sbx.kill_process("proc_abc"))


async def test_stop_and_start_pause_and_resume(sdk, api, sbx):
    paused = api.post("/sandboxes/sb1/pause").respond(200, json=detail(state="paused"))
    resumed = api.post("/sandboxes/sb1/resume").respond(200, json=detail())
    assert await sdk(sbx.stop()) is None and paused.called
    assert await sdk(sbx.start()) is None and resumed.called


async def test_cache_stats_and_clear(sdk, api, sbx):
    started = api.post("/sandboxes/sb1/commands").respond(201, json=process())
    api.get(OUTPUT).respond(200, content=ndjson(*command_events(("stdout", "/home/user/.cache\n2048\n3\n"))))
    assert await sdk(sbx.cache.stats()) == {"path": "/home/user/.cache", "size": 2.0, "count": 3}
    assert "du -sk" in sent_json(started)["cmd"]
    cleared = await sdk(sbx.cache.clear())
    assert cleared == {"success": True, "message": "Cache cleared", "freed_mb": 2.0, "removed": 3}
    assert "-delete" in sent_json(started)["cmd"]


async def test_list_with_status_returns_sandboxes(sdk, api):
    route = api.get("/sandboxes").respond(200, json={"sandboxes": [detail(), detail(sandboxID="sb2")]})
    boxes = await sdk(sdk.cls.list(status="running", region="eu", limit=5))
    assert [type(b) for b in boxes] == [sdk.cls, sdk.cls] and [b.sandbox_id for b in boxes] == ["sb1", "sb2"]
    params = route.calls[-1].request.url.params
    assert params.get_list("state") == ["running"] and params["limit"] == "5"
    assert route.calls[-1].request.headers["X-API-Key"] == KEY
    api.get("/sandboxes/sb2").respond(200, json=detail(sandboxID="sb2"))
    assert (await sdk(boxes[1].get_info())).status == "running"
    for b in boxes:
        await sdk(b.close())
    page = await sdk(sdk.cls.list())
    assert page.sandboxes[0].sandbox_id == "sb1"  # without status=: today's page
    items = await sdk.items(sdk.cls.iter(status="running", region="eu"))
    assert [b.sandbox_id for b in items] == ["sb1", "sb2"]
    for b in items:
        await sdk(b.close())
