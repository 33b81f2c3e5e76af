"""Sandbox lifecycle calls, sync and async: requests sent, replies parsed, context managers."""

from __future__ import annotations

import datetime
import inspect
import uuid

import httpx
import pytest
import respx
from sdk_fakes import KEY, detail, sent_json, snapshot

from hutch import (
    AsyncSandbox,
    InvalidArgumentException,
    Sandbox,
    SandboxInfo,
    SandboxList,
    SandboxNotFoundException,
    SandboxQuery,
    Snapshot,
    SnapshotInfo,
)


async def test_create_sends_settings_and_parses_the_sandbox(sdk, api, created):
    sbx = await sdk.create(
        template="py",
        timeout=600,
        metadata={"team": "a"},
        envs={"A": "1"},
        name="box-1",
        allow_internet_access=False,
        resources={"cpu": 1.5, "memory_mb": 512},
        lifecycle={"on_timeout": "pause", "auto_resume": True},
    )
    request = created.calls[0].request
    assert request.headers["X-API-Key"] == KEY
    uuid.UUID(request.headers["Idempotency-Key"])
    assert sent_json(created) == {
        "templateID": "py",
        "timeout": 600,
        "name": "box-1",
        "metadata": {"team": "a"},
        "envs": {"A": "1"},
        "allowInternetAccess": False,
        "resources": {"cpu": 1.5, "memoryMB": 512},
        "lifecycle": {"onTimeout": "pause", "autoResume": True},
        "secure": True,
    }
    assert sbx.sandbox_id == "sb1"
    assert isinstance(sbx, sdk.cls)
    await sdk(sbx.close())


async def test_create_defaults(sdk, api, created):
    sbx = await sdk.create()
    assert sent_json(created) == {"templateID": "base", "timeout": 300, "allowInternetAccess": True, "secure": True}
    await sdk(sbx.close())


async def test_create_refuses_unknown_keywords_and_bad_values_before_sending(sdk, api, created):
    with pytest.raises(InvalidArgumentException, match="unexpected keyword"):
        await sdk.create(templte="base")
    with pytest.raises(InvalidArgumentException, match="timeout"):
        await sdk.create(timeout=0)
    with pytest.raises(InvalidArgumentException, match="on_timeout"):
        await sdk.create(lifecycle={"on_timeout": "sleep"})
    assert not created.called


async def test_sync_context_manager_kills_a_created_sandbox(api, created):
    with Sandbox.create() as sbx:
        assert sbx.sandbox_id == "sb1"
    assert api.routes["kill"].called  # DELETE /sandboxes/sb1


async def test_async_create_is_an_async_context_manager_with_and_without_await(api, created):
    killed = api.routes["kill"]
    async with AsyncSandbox.create() as sbx:
        assert isinstance(sbx, AsyncSandbox)
    assert killed.call_count == 1
    async with await AsyncSandbox.create() as sbx:
        assert sbx.sandbox_id == "sb1"
    assert killed.call_count == 2


async def test_declaw_style_kill_inside_the_block_is_harmless(sdk, api, created):
    api.routes["kill"].side_effect = [httpx.Response(204), httpx.Response(404, json={"code": 404, "message": "gone"})]
    sbx = await sdk.create()
    await sdk(sbx.__aenter__() if sdk.is_async else sbx.__enter__())
    assert await sdk(sbx.kill()) is True
    await sdk(sbx.__aexit__(None, None, None) if sdk.is_async else sbx.__exit__(None, None, None))
    assert api.routes["kill"].call_count == 2


async def test_connect_resumes_and_only_closes_on_exit(sdk, api):
    route = api.post("/sandboxes/my-box/connect").respond(200, json=detail(name="my-box"))
    killed = api.delete("/sandboxes/sb1").respond(204)
    sbx = await sdk(sdk.cls.connect("my-box", timeout=120))
    assert sent_json(route) == {"timeout": 120}
    assert (sbx.sandbox_id, sbx.name) == ("sb1", "my-box")
    if sdk.is_async:
        async with sbx:
            pass
    else:
        with sbx:
            pass
    assert not killed.called


async def test_connect_to_a_missing_sandbox(sdk, api):
    api.post("/sandboxes/nope/connect").respond(404, json={"code": 404, "message": "no sandbox nope"})
    with pytest.raises(SandboxNotFoundException, match="no sandbox nope") as err:
        await sdk(sdk.cls.connect("nope"))
    assert err.value.status_code == 404


async def test_list_sends_the_query_and_pages(sdk, api):
    route = api.get("/sandboxes").respond(
        200, json={"sandboxes": [detail(), detail(sandboxID="sb2")], "nextToken": "t2"}
    )
    query = SandboxQuery(metadata={"team": "a"}, state=["running", "paused"], template="base", name="x")
    page = await sdk(sdk.cls.list(query=query, limit=2, next_token="t1"))
    params = route.calls[0].request.url.params
    assert params.get_list("state") == ["running", "paused"]
    assert params.get_list("metadata") == ["team=a"]
    assert (params["limit"], params["nextToken"], params["template"], params["name"]) == ("2", "t1", "base", "x")
    assert isinstance(page, SandboxList)
    assert [s.sandbox_id for s in page] == ["sb1", "sb2"]
    assert page["sandboxes"][1].sandbox_id == "sb2"
    assert page["next_token"] == page.next_token == "t2"
    assert page[0].state == "running" and len(page) == 2 and page.has_next


async def test_iter_walks_pages_lazily(sdk, api):
    route = api.get("/sandboxes")
    route.side_effect = [
        httpx.Response(200, json={"sandboxes": [detail(sandboxID="a"), detail(sandboxID="b")], "nextToken": "t"}),
        httpx.Response(200, json={"sandboxes": [detail(sandboxID="c")], "nextToken": None}),
    ]
    seen = [s.sandbox_id for s in await sdk.items(sdk.cls.iter(status="running"))]
    assert seen == ["a", "b", "c"]
    assert route.calls[1].request.url.params["nextToken"] == "t"
    assert route.calls[0].request.url.params.get_list("state") == ["running"]


async def test_iter_stops_asking_when_the_caller_stops(api):
    route = api.get("/sandboxes").respond(200, json={"sandboxes": [detail()], "nextToken": "more"})
    first = next(iter(Sandbox.iter()))
    assert first.sandbox_id == "sb1" and route.call_count == 1
    first.close()


async def test_kill_is_true_then_false_and_static_variant(sdk, api, created):
    route = api.routes["kill"]
    route.side_effect = [httpx.Response(204), httpx.Response(404, json={"code": 404, "message": "gone"})]
    sbx = await sdk.create()
    assert await sdk(sbx.kill()) is True
    assert await sdk(sbx.kill()) is False
    route.side_effect = None
    route.return_value = httpx.Response(204)
    assert await sdk(sdk.cls.kill("sb1", api_key="other-key")) is True
    assert route.calls[-1].request.headers["X-API-Key"] == "other-key"
    await sdk(sbx.close())


async def test_info_status_is_running_and_static_get_info(sdk, api, created):
    route = api.get("/sandboxes/sb1").respond(200, json=detail(state="paused", metadata={"k": "v"}, envKeys=["A"]))
    sbx = await sdk.create()
    info = await sdk(sbx.get_info())
    assert isinstance(info, SandboxInfo)
    assert (info.state, info.metadata, info.envs, info.memory_mb) == ("paused", {"k": "v"}, ["A"], 1024)
    assert info.started_at == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    assert info.lifecycle == {"on_timeout": "kill", "auto_resume": False}
    assert (await sdk(sbx.info())).sandbox_id == "sb1"
    assert await sdk(sbx.status()) == "paused"
    assert await sdk(sbx.is_running()) is False
    assert (await sdk(sdk.cls.get_info("sb1"))).state == "paused"
    route.respond(404, json={"code": 404, "message": "gone"})
    assert await sdk(sbx.is_running()) is False
    with pytest.raises(SandboxNotFoundException):
        await sdk(sbx.get_info())
    await sdk(sbx.close())


async def test_set_timeout_metrics_pause_resume(sdk, api, created):
    timeout = api.post("/sandboxes/sb1/timeout").respond(204)
    metrics = api.get("/sandboxes/sb1/metrics").respond(
        200,
        json=[
            {"timestamp": "2025-01-01T00:00:01Z", "cpuUsedPct": 5, "cpuCount": 2, "memUsedMB": 100}
            | {"memTotalMB": 1024, "diskUsedMB": 3, "diskTotalMB": 2048}
        ],
    )
    pause = api.post("/sandboxes/sb1/pause")
    pause.side_effect = [
        httpx.Response(200, json=detail(state="paused"), headers={"Hutch-Already-Paused": "false"}),
        httpx.Response(200, json=detail(state="paused"), headers={"Hutch-Already-Paused": "true"}),
    ]
    resume = api.post("/sandboxes/sb1/resume").respond(200, json=detail())
    sbx = await sdk.create()
    assert await sdk(sbx.set_timeout(900)) is None
    assert sent_json(timeout) == {"timeout": 900}
    start = datetime.datetime(2025, 1, 1)  # naive: taken as UTC
    samples = await sdk(sbx.get_metrics(start=start))
    assert metrics.calls[0].request.url.params["start"] == "2025-01-01T00:00:00+00:00"
    assert samples[0].cpu_used_pct == 5 and samples[0].mem_total_mb == 1024
    assert await sdk(sbx.pause()) is True and pause.called  # E2B: True when this call paused it
    assert await sdk(sbx.suspend()) is False and pause.call_count == 2  # it was paused already
    assert await sdk(sbx.resume()) is None and resume.called
    await sdk(sbx.close())


async def test_snapshots_and_restore(sdk, api, created):
    take = api.post("/sandboxes/sb1/snapshots")
    take.side_effect = [
        httpx.Response(201, json=snapshot()),
        httpx.Response(201, json=snapshot()),
        httpx.Response(201, json=snapshot(kind="template", templateID="tpl-snap1")),
    ]
    listed = api.get("/sandboxes/sb1/snapshots").respond(200, json=[snapshot(snapshotID="s2"), snapshot()])
    restored = api.post("/sandboxes/sb1/restore").respond(201, json=detail(sandboxID="sb9", restoredFrom="snap1"))
    deleted = api.delete("/snapshots/snap1").respond(204)
    sbx = await sdk.create()
    snap = await sdk(sbx.snapshot())
    assert isinstance(snap, Snapshot) and snap.snapshot_id == "snap1" and snap.kind == "manual"
    assert sent_json(take) == {"asTemplate": False}
    await sdk(sbx.checkpoint())
    info = await sdk(sbx.create_snapshot())
    assert isinstance(info, SnapshotInfo) and info.template_id == "tpl-snap1"
    assert sent_json(take) == {"asTemplate": True}
    assert [s.snapshot_id for s in await sdk(sbx.list_snapshots())] == ["s2", "snap1"]
    assert listed.called
    again = await sdk(sdk.cls.restore("sb1", snapshot_id="snap1"))
    assert sent_json(restored) == {"snapshotID": "snap1"}
    assert again.sandbox_id == "sb9"
    assert await sdk(sdk.cls.delete_snapshot("snap1")) is True
    deleted.respond(404, json={"code": 404, "message": "no snapshot"})
    assert await sdk(sdk.cls.delete_snapshot("snap1")) is False
    await sdk(again.close())
    await sdk(sbx.close())


def test_async_methods_are_coroutine_functions():
    # ``list`` is not: as in E2B it returns a paginator at once (awaiting it fetches the first page)
    for name in ("connect", "restore", "kill", "get_info", "set_timeout", "pause", "run_command", "read_file"):
        assert inspect.iscoroutinefunction(getattr(AsyncSandbox, name)), name
    for name in ("list_commands", "kill_command", "write_file", "list_files"):
        assert hasattr(AsyncSandbox, name) and hasattr(Sandbox, name)


async def test_terminal_is_pty(sdk, api, created):
    sbx = await sdk.create()
    assert sbx.terminal is sbx.pty
    await sdk(sbx.close())


async def test_declaw_aliases_reach_the_sub_modules(sdk, api: respx.MockRouter, created):
    listing = api.get("/sandboxes/sb1/commands").respond(200, json=[])
    files = api.get("/sandboxes/sb1/files/list").respond(200, json=[])
    sbx = await sdk.create()
    assert await sdk(sbx.list_commands()) == []
    assert await sdk(sbx.list_files("/tmp")) == []
    assert listing.called and files.calls[0].request.url.params["path"] == "/tmp"
    await sdk(sbx.close())


def test_async_create_is_a_coroutine_for_asyncio_run(api, created):
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        sbx = pool.submit(asyncio.run, AsyncSandbox.create()).result()
    assert isinstance(sbx, AsyncSandbox) and sbx.sandbox_id == "sb1"
