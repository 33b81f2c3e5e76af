"""The agent's `code` routes (openapi.yaml's runCode and code contexts); the work is in `code.py`,
imported on first use like the other domain modules."""

from __future__ import annotations

import threading

from . import params
from .errors import HttpError
from .eventlog import ndjson_line
from .server import ClientGone, Request, Response
from .users import DEFAULT_USER, User, lookup

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from .code import CodeContexts
    from .routes import Agent

NDJSON = "application/x-ndjson"
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


def _context_id(request: Request) -> str:
    """The `{contextID}` of /code/contexts/{contextID}[/restart]."""
    return request.path.strip("/").split("/")[2]


def run_code(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .code import language_of

    body = params.json_body(request)
    code: str = body["code"]
    language: str | None = body.get("language")
    context_id: str | None = body.get("contextID")
    envs: dict[str, str] = body.get("envs", {})
    cwd: str | None = body.get("cwd")
    timeout = float(body.get("timeout", 0))
    table = contexts(agent)
    if context_id:
        context = table.get(context_id)
        if language and language_of(language) != context.language:
            raise HttpError(409, f"code context {context_id!r} runs {context.language}, not {language}")
    else:
        context = table.default(language_of(language or "python"), _default_user)
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

    body = params.json_body(request)
    language = language_of(body.get("language", "python"))
    user = lookup(body.get("user", DEFAULT_USER))
    cwd = user.working_dir(body.get("cwd"))
    envs: dict[str, str] = body.get("envs", {})
    response.json(201, contexts(agent).create(language, user, cwd, envs).info())


def list_code_contexts(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, [context.info() for context in contexts(agent).with_defaults(_default_user)])


def prestart(agent: Agent) -> None:
    """Start the default contexts the template lists (code-interpreter: python), so the sandbox's
    first `run_code` finds its interpreter ready; `base` lists none (IPython costs ~0.6 s of CPU and
    47 MB, too much for every sandbox)."""
    from .code import PRESTART_FILE, language_of

    try:
        with open(PRESTART_FILE, encoding="utf-8") as f:
            languages = [language_of(word) for word in f.read().split()]
    except FileNotFoundError:
        return
    table = contexts(agent)
    for language in languages:
        table.default(language, _default_user).start(table.env_of)


def _default_user() -> User:
    return lookup(DEFAULT_USER)


def remove_code_context(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    contexts(agent).remove(_context_id(request))
    response.empty()


def restart_code_context(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    table = contexts(agent)
    context = table.get(_context_id(request))
    context.restart(table.env_of)
    response.json(200, context.info())
