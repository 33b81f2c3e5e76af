"""E2B's sandbox listing (issue 12), sync and async: the paginator (``has_next``, ``next_token``,
``next_items()``), ``SandboxQuery(started_after=)`` and ``list(order=)``, beside declaw's page and
hopx's ``list(status=)``, which keep their shapes."""

from __future__ import annotations

import datetime

import httpx
import pytest
from sdk_fakes import detail, snapshot

from hutch import AsyncSandboxPaginator, InvalidArgumentException, SandboxException, SandboxPaginator, SandboxQuery

PAGES = [
    httpx.Response(200, json={"sandboxes": [detail(sandboxID="a"), detail(sandboxID="b")], "nextToken": "7"}),
    httpx.Response(200, json={"sandboxes": [detail(sandboxID="c")], "nextToken": None}),
]


async def test_e2b_loop_walks_every_page_once(sdk, api):
    route = api.get("/sandboxes")
    route.side_effect = PAGES
    paginator = sdk.cls.list(limit=2)
    assert isinstance(paginator, AsyncSandboxPaginator if sdk.is_async else SandboxPaginator)
    pages = []
    while paginator.has_next:
        pages.append([s.sandbox_id for s in await sdk(paginator.next_items())])
    assert pages == [["a", "b"], ["c"]]
    assert paginator.next_token is None and route.call_count == 2
    assert "nextToken" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["nextToken"] == "7"
    with pytest.raises(SandboxException, match="No more items to fetch"):
        await sdk(paginator.next_items())
    assert route.call_count == 2


async def test_declaw_page_is_the_first_page_and_next_items_hands_it_out_first(sdk, api):
    route = api.get("/sandboxes")
    route.side_effect = PAGES
    page = await sdk(sdk.cls.list(limit=2, api_key="other-key"))  # declaw/hutch: the page itself (async: awaited)
    assert [s.sandbox_id for s in page] == ["a", "b"] and len(page) == 2
    assert page["next_token"] == page.next_token == "7" and page["sandboxes"][0].sandbox_id == "a"
    assert page.has_next and route.call_count == 1
    assert [s.sandbox_id for s in await sdk(page.next_items())] == ["a", "b"]  # no second request for it
    assert route.call_count == 1
    assert [s.sandbox_id for s in await sdk(page.next_items())] == ["c"]
    assert not page.has_next and page.sandboxes[0].sandbox_id == "c"
    assert [call.request.headers["X-API-Key"] for call in route.calls] == ["other-key", "other-key"]


async def test_started_after_order_and_per_call_options(sdk, api):
    route = api.get("/sandboxes")
    route.side_effect = PAGES
    after = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    query = SandboxQuery(state=["running"], started_after=after, metadata={"k": "v"})
    paginator = sdk.cls.list(query, None, None, "asc")
    await sdk(paginator.next_items())
    assert [s.sandbox_id for s in await sdk(paginator.next_items(headers={"X-Trace": "1"}))] == ["c"]
    for request in (call.request for call in route.calls):
        params = request.url.params
        assert params["order"] == "asc" and params.get_list("state") == ["running"]
        assert datetime.datetime.fromisoformat(params["startedAfter"]) == after
        assert "limit" not in params  # E2B's limit=None: the server's default
    assert "X-Trace" not in route.calls[0].request.headers
    assert route.calls[1].request.headers["X-Trace"] == "1"  # this call's options on top of the paginator's


async def test_a_naive_started_after_is_local_time(sdk, api):
    route = api.get("/sandboxes").respond(200, json={"sandboxes": [], "nextToken": None})
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)
    await sdk(sdk.cls.list(SandboxQuery(started_after=naive)).next_items())
    sent = datetime.datetime.fromisoformat(route.calls[0].request.url.params["startedAfter"])
    assert sent == naive.astimezone()


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"order": "newest"}, "Invalid order 'newest', expected 'asc' or 'desc'"),
        ({"limit": 0}, "limit must be an int from 1 to 1000"),
        ({"query": SandboxQuery(started_after="yesterday")}, "started_after must be a datetime"),  # type: ignore[arg-type]
    ],
)
async def test_bad_arguments_are_refused_at_the_call(sdk, api, kwargs, says):
    route = api.get("/sandboxes")
    with pytest.raises(InvalidArgumentException, match=says):
        sdk.cls.list(**kwargs)
    assert not route.called


async def test_next_items_refuses_unknown_options(sdk, api):
    api.get("/sandboxes").respond(200, json={"sandboxes": [], "nextToken": None})
    paginator = sdk.cls.list()
    with pytest.raises(InvalidArgumentException, match="unexpected keyword argument"):
        await sdk(paginator.next_items(colour="red"))


async def test_hopx_status_still_returns_sandboxes_with_order(sdk, api):
    route = api.get("/sandboxes").respond(200, json={"sandboxes": [detail()], "nextToken": None})
    boxes = await sdk(sdk.cls.list(status="running", order="desc"))
    assert [b.sandbox_id for b in boxes] == ["sb1"] and isinstance(boxes[0], sdk.cls)
    assert route.calls[0].request.url.params["order"] == "desc"
    for b in boxes:
        await sdk(b.close())


SNAPS = [snapshot(snapshotID="s2", names=["nightly"]), snapshot(snapshotID="s1", names=[])]


async def test_e2b_snapshot_paginator_pages_the_list(sdk, api):
    route = api.get("/snapshots").respond(200, json=SNAPS)
    paginator = sdk.cls.list_snapshots(limit=1)
    assert paginator.has_next
    pages = []
    while paginator.has_next:
        pages.append([s.snapshot_id for s in await sdk(paginator.next_items())])
        if paginator.has_next:
            assert paginator.next_token == str(len(pages))
    assert pages == [["s2"], ["s1"]] and paginator.next_token is None and route.call_count == 1
    with pytest.raises(SandboxException, match="No more items"):
        await sdk(paginator.next_items())
    resumed = sdk.cls.list_snapshots(limit=1, next_token="1")
    assert [s.snapshot_id for s in await sdk(resumed.next_items())] == ["s1"]
    named = await sdk(sdk.cls.list_snapshots(name="nightly"))  # declaw/hutch: the list itself (async: awaited)
    assert [(s.snapshot_id, s.names) for s in named] == [("s2", ["nightly"])]


async def test_a_sandbox_snapshot_paginator_keeps_its_settings(sdk, api, created):
    own = api.get("/sandboxes/sb1/snapshots").respond(200, json=SNAPS)
    sbx = await sdk.create(headers={"X-Team": "a"})
    listed = await sdk(sbx.list_snapshots())
    assert [s.snapshot_id for s in listed] == ["s2", "s1"] and own.calls[-1].request.headers["X-Team"] == "a"
    paginator = sbx.list_snapshots()
    assert len(await sdk(paginator.next_items(request_timeout=3))) == 2
    with pytest.raises(InvalidArgumentException, match="takes only request_timeout"):
        await sdk(sbx.list_snapshots().next_items(api_key="other"))
    with pytest.raises(InvalidArgumentException, match="limit must be a positive int"):
        sbx.list_snapshots(limit=0)
    await sdk(sbx.close())
