"""The agent's `code` routes (openapi.yaml's runCode and code contexts); the work is in `code.py`,
imported on first use like the other domain modules."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import params
from .errors import HttpError
from .eventlog import ndjson_line
from .server import ClientGone, Request, Response
from .users import lookup

if TYPE_CHECKING:
    from .code import CodeContexts
    from .routes import Agent

NDJSON = "application/x-ndjson"
DEFAULT_USER = "user"
MAX_CODE = 1048576
_table_lock = threading.Lock()


def contexts(agent: Agent) -> CodeContexts:
    """The agent's code contexts, made on first use."""
    from .code import CodeContexts

    with _table_lock:
        table: CodeContexts | None = getattr(agent, "code_contexts", None)
        if table is None:
            table = CodeContexts(agent.command_env)
            agent.code_contexts = table  # type: ignore[attr-defined]
        return table


def _body(request: Request, *optional: str) -> dict[str, Any]:
    """The JSON body; an optional field is left out, never null (the contract's types have no null)."""
    body = params.json_body(request)
    for name in optional:
        if name in body and body[name] is None:
            raise HttpError(400, f"field {name!r} must not be null: leave it out for the default")
    return body


def _context_id(request: Request) -> str:
    """The `{contextID}` of /code/contexts/{contextID}[/restart]."""
    return request.path.strip("/").split("/")[2]


def run_code(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .code import language_of

    body = _body(request, "language", "contextID", "envs", "cwd", "timeout")
    code = params.field_str(body, "code", MAX_CODE, min_len=0, required=True) or ""
    language = params.field_str(body, "language", 32)
    context_id = params.field_str(body, "contextID", 64)
    envs = params.field_envs(body)
    cwd = params.field_str(body, "cwd", params.MAX_PATH, min_len=0)
    timeout = params.field_seconds(body, "timeout")
    table = contexts(agent)
    if context_id:
        context = table.get(context_id)
        if language and language_of(language) != context.language:
            raise HttpError(409, f"code context {context_id!r} runs {context.language}, not {language}")
    else:
        context = table.default(language_of(language or "python"), lambda: lookup(DEFAULT_USER))
    workdir = context.user.working_dir(cwd) if cwd else None
    gone = False

    def emit(event: dict[str, object]) -> None:
        nonlocal gone
        if not gone:
            try:
                response.write(ndjson_line(event))
            except ClientGone:
                gone = True  # the cell still runs to its end, so the context stays in step

    with context.session(table.env_of) as interpreter:
        response.stream(200, NDJSON)
        context.execute(interpreter, code, envs, workdir, timeout, table.env_of, emit)


def create_code_context(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .code import language_of

    body = _body(request, "language", "user", "cwd", "envs")
    language = language_of(params.field_str(body, "language", 32) or "python")
    envs = params.field_envs(body)
    user = lookup(params.field_str(body, "user", params.MAX_USER) or DEFAULT_USER)
    cwd = user.working_dir(params.field_str(body, "cwd", params.MAX_PATH, min_len=0))
    response.json(201, contexts(agent).create(language, user, cwd, envs).info())


def list_code_contexts(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, [context.info() for context in contexts(agent).all()])


def remove_code_context(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    contexts(agent).remove(_context_id(request))
    response.empty()


def restart_code_context(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    table = contexts(agent)
    context = table.get(_context_id(request))
    context.restart(table.env_of)
    response.json(200, context.info())
