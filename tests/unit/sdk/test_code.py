"""run_code, run_code_stream and code contexts, sync and async, against a respx-mocked server."""

from __future__ import annotations

import base64

import httpx
import pytest
from sdk_fakes import STAMP, GatedStream, ndjson, sent_json

from hutch import (
    CodeContext,
    ConflictException,
    ExecutionError,
    ExecutionResult,
    InvalidArgumentException,
    NotFoundException,
    PieChart,
    Result,
    SandboxException,
    ServiceUnavailableException,
)

RUN = "/sandboxes/sb1/code/run"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def done(code: int = 0, count: int = 1, context: str = "python") -> dict[str, object]:
    status = "ok" if code == 0 else "error"
    return {"type": "done", "exitCode": code, "status": status, "executionCount": count, "contextID": context}


def context_reply(**over: object) -> dict[str, object]:
    body = {"contextID": "c1", "language": "bash", "user": "user", "cwd": "/home/user", "envs": {}}
    return {**body, "createdAt": STAMP, **over}


async def test_run_code_collects_output_results_and_error(sdk, api, sbx):
    events = [
        {"type": "stdout", "text": "a\n"},
        {"type": "stderr", "text": "warn\n"},
        {"type": "result", "data": {"text/plain": "<Figure>", "image/png": PNG}, "isMainResult": False},
        {"type": "stdout", "text": "b\n"},
        {"type": "result", "data": {"text/plain": "42", "application/json": '{"x": [1]}'}, "isMainResult": True},
        {"type": "error", "name": "NameError", "value": "name 'y' is not defined", "traceback": "Traceback ..."},
        done(code=1, count=3),
    ]
    route = api.post(RUN).respond(200, content=ndjson(*events), headers={"content-type": "application/x-ndjson"})
    result = await sdk(sbx.run_code("print('a')", envs={"A": "1"}, cwd="/tmp", timeout=5))
    assert sent_json(route) == {"code": "print('a')", "envs": {"A": "1"}, "cwd": "/tmp", "timeout": 5.0}
    assert isinstance(result, ExecutionResult)
    assert (result.stdout, result.stderr, result.exit_code) == ("a\nb\n", "warn\n", 1)
    assert (result.execution_count, result.context_id, result.success) == (3, "python", False)
    figure, main = result.results
    assert isinstance(figure, Result) and not figure.is_main_result
    assert base64.b64decode(figure.png or "").startswith(b"\x89PNG")
    assert figure.formats() == ["text", "png"]
    assert (main.text, main.json, main.is_main_result, result.text) == ("42", {"x": [1]}, True, "42")
    assert result.error == ExecutionError("NameError", "name 'y' is not defined", "Traceback ...")


async def test_a_chart_and_a_str_result_come_through_as_e2b_reads_them(sdk, api, sbx):
    chart = {"type": "pie", "title": "Share", "elements": [{"label": "a", "angle": 90.0, "radius": 1.0}]}
    events = [
        {"type": "result", "data": {"text/plain": "<Figure>", "image/png": PNG}, "chart": chart, "isMainResult": False},
        {"type": "result", "data": {"text/plain": "'it''s'"}, "isMainResult": True},
        done(),
    ]
    api.post(RUN).respond(200, content=ndjson(*events), headers={"content-type": "application/x-ndjson"})
    result = await sdk(sbx.run_code("..."))
    figure, main = result.results
    assert isinstance(figure.chart, PieChart) and figure.chart.to_dict() == chart
    assert figure.formats() == ["text", "png", "chart"]
    assert (main.chart, main.text, result.text) == (None, "it''s", "it''s")  # E2B drops the outer quotes only
    messages = await sdk.items(sbx.run_code_stream("..."))
    assert messages[0]["chart"] == chart and "chart" not in messages[1]
    assert messages[1]["data"] == {"text/plain": "'it''s'"}  # the bundle stays as IPython made it


async def test_run_code_defaults_and_languages(sdk, api, sbx):
    route = api.post(RUN).respond(200, content=ndjson(done()))
    await sdk(sbx.run_code("1"))
    assert sent_json(route) == {"code": "1", "timeout": 60.0}
    await sdk(sbx.run_code("echo", "bash", timeout=0))
    assert sent_json(route) == {"code": "echo", "language": "bash"}
    await sdk(sbx.run_code("x", context="c1", timeout=None))
    assert sent_json(route) == {"code": "x", "contextID": "c1"}
    context = CodeContext(context_id="c2", language="javascript", cwd="/")
    await sdk(sbx.code.run("x", context=context))
    assert sent_json(route) == {"code": "x", "contextID": "c2", "timeout": 60.0}


async def test_run_code_refuses_bad_arguments_before_sending(sdk, api, sbx):
    route = api.post(RUN).respond(200, content=ndjson(done()))
    with pytest.raises(InvalidArgumentException, match="unexpected keyword"):
        await sdk(sbx.run_code("1", timeout_secs=5))
    with pytest.raises(InvalidArgumentException, match="timeout"):
        await sdk(sbx.run_code("1", timeout=-1))
    with pytest.raises(InvalidArgumentException, match="code"):
        await sdk(sbx.run_code(b"1"))
    with pytest.raises(InvalidArgumentException, match="on_result"):
        await sdk.items(sbx.run_code_stream("1", on_result=print))
    assert not route.called


async def test_callbacks_fire_live(sdk, api, sbx):
    stream = GatedStream(
        ndjson({"type": "stdout", "text": "first\n"}),
        ndjson(
            {"type": "result", "data": {"text/plain": "1"}, "isMainResult": True},
            {"type": "error", "name": "E", "value": "v", "traceback": ""},
            done(1),
        ),
    )
    api.post(RUN).mock(return_value=httpx.Response(200, stream=stream))
    seen: list[object] = []

    def on_stdout(text: str) -> None:
        seen.append((text, stream.gate.is_set()))
        stream.gate.set()  # only now does the fake server send the rest

    result = await sdk(
        sbx.run_code("x", on_stdout=on_stdout, on_stderr=seen.append, on_result=seen.append, on_error=seen.append)
    )
    assert seen == [("first\n", False), result.results[0], result.error]
    assert stream.gate_waited < 4, "the callback ran before the stream ended"


async def test_async_callbacks_may_be_coroutines(api, created):
    from hutch import AsyncSandbox

    api.post(RUN).respond(200, content=ndjson({"type": "stdout", "text": "x"}, done()))
    seen: list[str] = []

    async def on_stdout(text: str) -> None:
        seen.append(text)

    async with AsyncSandbox.create() as sbx:
        await sbx.run_code("print('x')", on_stdout=on_stdout)
    assert seen == ["x"]


async def test_stream_yields_hopx_shaped_messages_as_they_come(sdk, api, sbx):
    stream = GatedStream(
        ndjson({"type": "stdout", "text": "Count: 0\n"}),
        ndjson({"type": "result", "data": {"text/html": "<b>", "text/plain": "b"}, "isMainResult": True}, done()),
    )
    api.post(RUN).mock(return_value=httpx.Response(200, stream=stream))
    messages = []
    iterator = sbx.run_code_stream("for i in range(5): ...")
    if sdk.is_async:
        async for message in iterator:
            messages.append(message)
            stream.gate.set()
    else:
        for message in iterator:
            messages.append(message)
            stream.gate.set()
    assert stream.gate_waited < 4, "the first message was yielded before the stream ended"
    assert messages[0] == {"type": "stdout", "data": "Count: 0\n"}
    result = messages[1]
    assert (result["type"], result["is_main_result"]) == ("result", True)
    assert result["data"] == {"text/html": "<b>", "text/plain": "b"}
    assert result["result"].html == "<b>"
    assert messages[2] == {"type": "done", "exit_code": 0, "status": "ok", "execution_count": 1, "context_id": "python"}


async def test_a_stream_cut_before_done_is_an_error(sdk, api, sbx):
    api.post(RUN).respond(200, content=ndjson({"type": "stdout", "text": "partial\n"}))
    with pytest.raises(SandboxException, match="before the execution was done"):
        await sdk(sbx.run_code("x"))


async def test_a_connection_that_breaks_mid_stream_is_a_sandbox_exception(sdk, api, sbx):
    class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self):
            yield ndjson({"type": "stdout", "text": "partial\n"})
            raise httpx.ReadError("connection reset")

        async def __aiter__(self):
            yield ndjson({"type": "stdout", "text": "partial\n"})
            raise httpx.ReadError("connection reset")

    api.post(RUN).mock(return_value=httpx.Response(200, stream=Broken()))
    with pytest.raises(ServiceUnavailableException, match="ReadError"):
        await sdk(sbx.run_code("x"))


async def test_malformed_events_and_unknown_kinds(sdk, api, sbx):
    api.post(RUN).respond(200, content=ndjson({"type": "progress", "pct": 5}, done()))
    assert (await sdk.items(sbx.run_code_stream("x")))[0] == {"type": "progress", "pct": 5}
    api.post(RUN).respond(200, content=ndjson({"type": "stdout"}, done()))
    with pytest.raises(SandboxException, match="malformed run_code event"):
        await sdk(sbx.run_code("x"))


async def test_http_errors_raise(sdk, api, sbx):
    api.post(RUN).respond(404, json={"code": 404, "message": "no code context 'nope'"})
    with pytest.raises(NotFoundException, match="nope"):
        await sdk(sbx.run_code("x", context="nope"))
    api.post(RUN).respond(422, json={"code": 422, "message": "unknown language 'cobol'"})
    with pytest.raises(InvalidArgumentException, match="cobol"):
        await sdk(sbx.run_code("x", "cobol"))


async def test_code_contexts(sdk, api, sbx):
    create = api.post("/sandboxes/sb1/code/contexts").respond(201, json=context_reply(envs={"K": "v"}))
    context = await sdk(sbx.create_code_context("bash", cwd="/tmp", envs={"K": "v"}))
    assert sent_json(create) == {"language": "bash", "cwd": "/tmp", "envs": {"K": "v"}}
    assert isinstance(context, CodeContext)
    assert (context.id, context.language, context.envs, context.created_at.year) == ("c1", "bash", {"K": "v"}, 2025)
    api.get("/sandboxes/sb1/code/contexts").respond(200, json=[context_reply(), context_reply(contextID="python")])
    assert [c.context_id for c in await sdk(sbx.list_code_contexts())] == ["c1", "python"]
    restart = api.post("/sandboxes/sb1/code/contexts/c1/restart").respond(200, json=context_reply())
    assert await sdk(sbx.restart_code_context(context)) is None
    assert restart.called
    remove = api.delete("/sandboxes/sb1/code/contexts/c1").respond(204)
    assert await sdk(sbx.remove_code_context("c1")) is None
    assert remove.called
    api.delete("/sandboxes/sb1/code/contexts/gone").respond(404, json={"code": 404, "message": "no code context"})
    with pytest.raises(NotFoundException):
        await sdk(sbx.remove_code_context("gone"))
    with pytest.raises(InvalidArgumentException, match="unexpected keyword"):
        await sdk(sbx.create_code_context(working_dir="/"))


def test_result_from_a_bundle() -> None:
    result = Result.from_bundle(
        {"text/plain": "t", "image/svg+xml": "<svg/>", "application/json": "not json", "application/x-y": "z"}
    )
    assert (result.text, result.svg, result.json, result.extra) == ("t", "<svg/>", "not json", {"application/x-y": "z"})
    frame = Result.from_bundle({"text/html": "<table/>", "application/vnd.hutch.data+json": '{"a": [1, null]}'})
    assert (frame.data, frame.formats()) == ({"a": [1, None]}, ["html", "data"])
    assert result.formats() == ["text", "svg", "json", "application/x-y"]
    assert str(result) == "t"
    assert result._repr_mimebundle_()["image/svg+xml"] == "<svg/>"
    assert "svg=" in repr(result) and "html" not in repr(result)


async def test_a_context_of_another_language_is_refused_before_any_request(sdk, api, sbx):
    route = api.post(RUN).respond(409, json={"code": 409, "message": "code context 'c1' runs python, not bash"})
    context = CodeContext(context_id="c1", language="python", cwd="/home/user")
    with pytest.raises(InvalidArgumentException, match="runs python, not bash"):
        await sdk(sbx.run_code("echo", "bash", context=context))
    assert route.call_count == 0  # E2B's rule, checked by the SDK: it knows the context's language
    with pytest.raises(ConflictException, match="runs python"):  # by ID only, the server says so
        await sdk(sbx.run_code("echo", "bash", context="c1"))
    assert route.call_count == 1
