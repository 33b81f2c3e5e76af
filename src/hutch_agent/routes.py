"""The agent's HTTP routes: openapi.yaml's agent operations without the `/sandboxes/{sandboxID}` prefix
(the gateway strips it), plus the host-internal `/health` (`PUT /env` is also how the server sets a
sandbox's envs).

Handlers check and translate; the work is done in the domain modules, imported on first use so the
agent answers its readiness probe before it has loaded them (see `Agent.__call__`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from . import code_routes, env_routes, params
from .errors import HttpError
from .processes import Process, ProcessTable
from .sandbox_env import SandboxEnv
from .server import Request, Response, dumps, log
from .users import User, lookup

NDJSON = "application/x-ndjson"
Handler = Callable[["Agent", Request, Response, list[int]], None]
# Modules the first command, file or terminal call needs, loaded in the background once we are up.
_WARM_UP = ("commands", "files", "pty_sessions", "multipart", "watch", "code")


class Agent:
    """The agent's state, callable as the server's app."""

    def __init__(self, sandbox_id: str, env: SandboxEnv) -> None:
        self.sandbox_id = sandbox_id
        self.env = env
        self.processes = ProcessTable()
        self._warmed = False

    def __call__(self, request: Request, response: Response) -> None:
        try:
            handler, pids = _route(request.method, request.path)
            handler(self, request, response, pids)
        finally:
            if not self._warmed:
                self._warmed = True
                threading.Thread(target=_warm_up, daemon=True, name="warm-up").start()

    def command_env(self, user: User, envs: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
        """A process's environment: the user's login variables, `extra`, the sandbox's, then its own."""
        return {**user.login_env(), **(extra or {}), **self.env.get(), **envs}


def _warm_up() -> None:
    import importlib

    for name in _WARM_UP:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except Exception as exc:
            log(f"could not load {name}: {exc}")


# ---------------------------------------------------------------------------------------- health, env


def health(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, {"status": "ok", "sandboxID": agent.sandbox_id})


def get_env(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.env.get())


def put_env(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.env.replace(params.field_envs({"envs": params.json_body(request)}))
    response.json(200, agent.env.get())


# ------------------------------------------------------------------------------------------- commands


def start_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .commands import start_command

    body = params.json_body(request)
    cmd = params.field_str(body, "cmd", 1048576, required=True)
    envs = params.field_envs(body)
    user = lookup(params.field_user(body))
    process = start_command(
        agent.processes,
        cmd or "",
        user,
        agent.command_env(user, envs),
        envs,
        cwd=params.field_str(body, "cwd", params.MAX_PATH, min_len=0),
        stdin=params.field_bool(body, "stdin"),
        timeout=params.field_seconds(body, "timeout"),
        tag=params.field_str(body, "tag", 256, min_len=0),
    )
    response.json(201, process.info())


def list_commands(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, [process.info() for process in agent.processes.all()])


def get_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.processes.get(pids[0]).info())


def kill_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0]).kill()
    response.empty()


def _stream_events(process: Process, request: Request, response: Response) -> None:
    offset = params.query_int(request, "offset", 0, 0)
    response.stream(200, NDJSON)
    for batch in process.events.follow(offset, response.client_gone):
        response.write(batch)


def command_output(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    _stream_events(agent.processes.get(pids[0], pty=False), request, response)


def command_stdin(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=False).write_input(request.body)
    response.empty()


def close_command_stdin(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=False).close_input()
    response.empty()


def signal_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    number = params.field_int(params.json_body(request), "signal", 1, 64)
    agent.processes.get(pids[0]).send_signal(number)
    response.empty()


# ---------------------------------------------------------------------------------------------- files


def _user_and_path(request: Request) -> tuple[User, str]:
    user = lookup(params.query_user(request))
    return user, user.resolve(params.query_path(request))


def read_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from contextlib import closing

    from . import files

    fd = files.open_for_read(*_user_and_path(request))
    with closing(files.read_chunks(fd)) as chunks:
        response.stream(200, "application/octet-stream")
        for chunk in chunks:
            response.write(chunk)


def write_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    user, path = _user_and_path(request)
    response.json(200, files.write_file(user, path, request.body))


def write_files(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files
    from .multipart import MultipartReader, boundary_of

    user = lookup(params.query_user(request))
    reader = MultipartReader(request.body, boundary_of(request.headers.get("content-type", "")))
    written = []
    for part in reader.parts():
        if part.field != "files":
            continue  # other form fields are not files to write; the reader skips their data
        if not part.filename:
            raise HttpError(400, f"multipart part {part.field!r} has no filename (its destination path)")
        written.append(files.write_file(user, user.resolve(part.filename), part.chunks()))
    if not written:
        raise HttpError(400, "the multipart body has no part named 'files' (one per file to write)")
    response.json(200, written)


def remove_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    files.remove(*_user_and_path(request))
    response.empty()


def list_files(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    user, path = _user_and_path(request)
    response.json(200, files.list_dir(user, path, params.query_int(request, "depth", 1, 1, 32)))


def stat_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    response.json(200, files.stat_path(*_user_and_path(request)))


def rename_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    body = params.json_body(request)
    source = params.field_str(body, "source", params.MAX_PATH, required=True) or ""
    destination = params.field_str(body, "destination", params.MAX_PATH, required=True) or ""
    user = lookup(params.field_user(body))
    response.json(200, files.rename(user, user.resolve(source), user.resolve(destination)))


def make_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    body = params.json_body(request)
    path = params.field_str(body, "path", params.MAX_PATH, required=True) or ""
    user = lookup(params.field_user(body))
    made, entry = files.make_dir(user, user.resolve(path))
    response.json(201 if made else 200, entry)


def watch_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    import select
    from contextlib import closing

    from .creds import acting_as, acting_on
    from .watch import Watcher

    user, path = _user_and_path(request)
    recursive = params.query_bool(request, "recursive")
    with acting_on(user, path):
        watcher = Watcher(path, recursive)
    with closing(watcher):
        response.stream(200, NDJSON)
        response.write(dumps({"type": "ready", "name": None, "path": None}) + b"\n")
        poller = select.poll()
        poller.register(watcher, select.POLLIN)
        while not watcher.root_gone:
            if not poller.poll(1000):
                if response.client_gone():
                    return
                continue
            with acting_as(user):  # a recursive watch adds new subdirectories as the user
                events = watcher.read()
            response.write(b"".join(dumps(event) + b"\n" for event in events))


# ------------------------------------------------------------------------------------------------ pty


def _size(body: dict[str, object]) -> tuple[int, int]:
    return params.field_int(body, "rows", 1, 1000), params.field_int(body, "cols", 1, 1000)


def create_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .pty_sessions import start_terminal

    body = params.json_body(request)
    size = body.get("size")
    if not isinstance(size, dict):
        raise HttpError(400, "field 'size' must be an object with rows and cols")
    rows, cols = _size(size)
    envs = params.field_envs(body)
    user = lookup(params.field_user(body))
    terminal = start_terminal(
        agent.processes,
        user,
        agent.command_env(user, envs, {"TERM": "xterm-256color"}),
        envs,
        cwd=params.field_str(body, "cwd", params.MAX_PATH, min_len=0),
        rows=rows,
        cols=cols,
        timeout=params.field_seconds(body, "timeout"),
    )
    response.json(201, terminal.info())


def kill_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=True).kill()
    response.empty()


def pty_output(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    _stream_events(agent.processes.get(pids[0], pty=True), request, response)


def pty_input(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=True).write_input(request.body)
    response.empty()


def resize_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .pty_sessions import Terminal

    terminal = agent.processes.get(pids[0], pty=True)
    assert isinstance(terminal, Terminal)
    terminal.resize(*_size(params.json_body(request)))
    response.empty()


# -------------------------------------------------------------------------------------------- tunnel


def tunnel(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .tunnel import tunnel

    tunnel(request, response, pids[0])


# ------------------------------------------------------------------------------------------- routing

ROUTES: dict[str, dict[str, Handler]] = {
    "/health": {"GET": health},
    "/env": {"GET": get_env, "PUT": put_env, "PATCH": env_routes.update_env},
    "/env/{name}": {
        "GET": env_routes.get_env_var,
        "PUT": env_routes.set_env_var,
        "DELETE": env_routes.delete_env_var,
    },
    "/commands": {"POST": start_command, "GET": list_commands},
    "/commands/{pid}": {"GET": get_command, "DELETE": kill_command},
    "/commands/{pid}/output": {"GET": command_output},
    "/commands/{pid}/stdin": {"POST": command_stdin},
    "/commands/{pid}/stdin/close": {"POST": close_command_stdin},
    "/commands/{pid}/signal": {"POST": signal_command},
    "/files": {"GET": read_file, "PUT": write_file, "DELETE": remove_file},
    "/files/batch": {"POST": write_files},
    "/files/list": {"GET": list_files},
    "/files/stat": {"GET": stat_file},
    "/files/rename": {"POST": rename_file},
    "/files/mkdir": {"POST": make_dir},
    "/files/watch": {"GET": watch_dir},
    "/pty": {"POST": create_pty},
    "/pty/{pid}": {"DELETE": kill_pty},
    "/pty/{pid}/output": {"GET": pty_output},
    "/pty/{pid}/input": {"POST": pty_input},
    "/pty/{pid}/resize": {"POST": resize_pty},
    "/tunnel/{pid}": {"GET": tunnel},  # the {pid} slot carries a port number (host-internal, see tunnel.py)
    "/code/run": {"POST": code_routes.run_code},
    "/code/contexts": {"POST": code_routes.create_code_context, "GET": code_routes.list_code_contexts},
    "/code/contexts/{contextID}": {"DELETE": code_routes.remove_code_context},
    "/code/contexts/{contextID}/restart": {"POST": code_routes.restart_code_context},
}
_PATTERNS = [(pattern.strip("/").split("/"), methods) for pattern, methods in ROUTES.items()]


def _route(method: str, path: str) -> tuple[Handler, list[int]]:
    """The handler for `method path` and the pids in the path; 404/405 if there is none."""
    segments = path.strip("/").split("/")
    for pattern, methods in _PATTERNS:
        if len(pattern) != len(segments):
            continue
        pids: list[int] = []
        for expected, actual in zip(pattern, segments, strict=True):
            if expected == "{pid}":
                if not actual.isdigit() or int(actual) < 1:
                    raise HttpError(400, f"pid must be a positive integer, got {actual!r}")
                pids.append(int(actual))
            elif expected != actual and not expected.startswith("{"):  # other {names}: handlers read the path
                break
        else:
            if method not in methods:
                raise HttpError(405, f"{method} is not allowed on {path}; use {', '.join(methods)}")
            return methods[method], pids
    raise HttpError(404, f"no such route: {method} {path}")
