"""The agent's HTTP routes: openapi.yaml's agent operations without the `/sandboxes/{sandboxID}` prefix
(the gateway strips it), each handler registered under its operationId (`HANDLERS`, see `table()`),
plus host-internal routes the spec does not list: `/health` (the server's readiness probe),
`/tunnel/{port}` (exposed ports), `/volume/...` (a volume's files, volume_routes.py), and for a
pod's agent, which no cgroup of the server's reaches, `/freeze` (pause, see freezer.py) and `/usage`
(metrics, see usage.py); for a sandbox the server freezes in its cgroup, `/clock/stop` and `/clock/start`
(its commands' timeouts stand still while it is paused, clock_routes.py). `PUT /env` is also how the
server sets a sandbox's envs.

Handlers check and translate; the work is done in the domain modules, imported on first use so the
agent answers its readiness probe before it has loaded them (see `Agent.__call__`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from . import clock_routes, code_routes, env_routes, params, volume_routes
from .contract import Operation, operations
from .errors import HttpError
from .freezer import Freezer
from .processes import Process, ProcessTable
from .sandbox_env import SandboxEnv
from .server import Request, Response, dumps, log
from .users import DEFAULT_USER, User, lookup

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

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
        self.freezer = Freezer()
        self.started = time.time()
        self._warmed = False

    def __call__(self, request: Request, response: Response) -> None:
        try:
            handler, pids = _route(request)
            handler(self, request, response, pids)
        finally:
            if not self._warmed:
                self._warmed = True
                threading.Thread(target=_warm_up, args=(self,), daemon=True, name="warm-up").start()

    def command_env(self, user: User, envs: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
        """A process's environment: the user's login variables, `extra`, the sandbox's, then its own."""
        return {**user.login_env(), **(extra or {}), **self.env.get(), **envs}


def _warm_up(agent: Agent) -> None:
    import importlib

    for name in _WARM_UP:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except Exception as exc:
            log(f"could not load {name}: {exc}")
    try:
        code_routes.prestart(agent)
    except Exception as exc:  # the first run_code starts it, and says why it cannot
        log(f"could not start the template's default code contexts: {exc}")


# ---------------------------------------------------------------------------------------- health, env


def health(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, {"status": "ok", "sandboxID": agent.sandbox_id})


def get_env(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.env.get())


def put_env(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.env.replace(params.json_body(request))
    response.json(200, agent.env.get())


# ----------------------------------------------------------------------- a pod's pause and metrics


def freeze_state(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.freezer.state())


def freeze(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.freezer.freeze()
    response.json(200, agent.freezer.state())


def thaw(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.freezer.thaw()
    response.json(200, agent.freezer.state())


def usage(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .usage import usage

    response.json(200, usage(agent.started))


# ------------------------------------------------------------------------------------------- commands

KILL_SETTLE_S = 1.0
"""How long killCommand waits for the killed process to be reaped (a child that escaped its process
group and holds the output open can delay that; the kill is answered anyway)."""


def start_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .commands import start_command

    body = params.json_body(request)
    envs: dict[str, str] = body.get("envs", {})
    user = lookup(body.get("user", DEFAULT_USER))
    process = start_command(
        agent.processes,
        body["cmd"],
        user,
        agent.command_env(user, envs),
        envs,
        cwd=body.get("cwd"),
        stdin=body.get("stdin", False),
        timeout=float(body.get("timeout", 0)),
        tag=body.get("tag"),
    )
    if params.query(request, "stream", False):
        _stream_events(process, response, 0)  # one round trip: the `start` event names the pid
    else:
        response.json(201, process.info())


def list_commands(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, [process.info() for process in agent.processes.all()])


def get_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.processes.get(pids[0]).info())


def kill_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    process = agent.processes.get(pids[0])
    process.kill()
    process.ended.wait(KILL_SETTLE_S)  # so that a listing right after shows it ended (output holders aside)
    response.empty()


def _stream_events(process: Process, response: Response, offset: int) -> None:
    response.stream(200, NDJSON)
    for batch in process.events.follow(offset, response.client_gone):
        response.write(batch)


def command_output(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    _stream_events(agent.processes.get(pids[0], pty=False), response, params.query(request, "offset", 0))


def command_stdin(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=False).write_input(request.body)
    response.empty()


def close_command_stdin(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=False).close_input()
    response.empty()


def signal_command(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0]).send_signal(params.json_body(request)["signal"])
    response.empty()


# ---------------------------------------------------------------------------------------------- files


def _user_and_path(request: Request) -> tuple[User, str]:
    user = lookup(params.query(request, "user", DEFAULT_USER))
    return user, user.resolve(params.query(request, "path"))


def read_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    fd = files.open_for_read(*_user_and_path(request))
    try:
        response.file(200, fd, "application/octet-stream")
    finally:
        os.close(fd)


def write_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    user, path = _user_and_path(request)
    response.json(200, files.write_file(user, path, request.body.copy_to))


def write_files(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files
    from .multipart import MultipartReader, boundary_of

    user = lookup(params.query(request, "user", DEFAULT_USER))
    reader = MultipartReader(request.body, boundary_of(request.headers.get("content-type", "")))
    written = []
    for part in reader.parts():
        if part.field != "files":
            continue  # other form fields are not files to write; the reader skips their data
        if not part.filename:
            raise HttpError(400, f"multipart part {part.field!r} has no filename (its destination path)")
        written.append(files.write_file(user, user.resolve(part.filename), files.write_chunks(part.chunks())))
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
    response.json(200, files.list_dir(user, path, params.query(request, "depth", 1)))


def stat_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    response.json(200, files.stat_path(*_user_and_path(request)))


def rename_file(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    body = params.json_body(request)
    user = lookup(body.get("user", DEFAULT_USER))
    response.json(200, files.rename(user, user.resolve(body["source"]), user.resolve(body["destination"])))


def make_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import files

    body = params.json_body(request)
    user = lookup(body.get("user", DEFAULT_USER))
    made, entry = files.make_dir(user, user.resolve(body["path"]))
    response.json(201 if made else 200, entry)


def watch_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    import select
    from contextlib import closing

    from . import files
    from .creds import acting_as, acting_on
    from .watch import Watcher

    user, path = _user_and_path(request)
    recursive = params.query(request, "recursive", False)
    entry_of = files.EntryLookup() if params.query(request, "includeEntry", False) else None
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
                if entry_of is not None:
                    for event in events:
                        if (entry := entry_of(event["path"])) is not None:
                            event["entry"] = entry
            response.write(b"".join(dumps(event) + b"\n" for event in events))


# ------------------------------------------------------------------------------------------------ pty


def create_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .pty_sessions import start_terminal

    body = params.json_body(request)
    envs: dict[str, str] = body.get("envs", {})
    user = lookup(body.get("user", DEFAULT_USER))
    terminal = start_terminal(
        agent.processes,
        user,
        agent.command_env(user, envs, {"TERM": "xterm-256color"}),
        envs,
        cwd=body.get("cwd"),
        rows=body["size"]["rows"],
        cols=body["size"]["cols"],
        timeout=float(body.get("timeout", 0)),
    )
    response.json(201, terminal.info())


def kill_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=True).kill()
    response.empty()


def pty_output(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    _stream_events(agent.processes.get(pids[0], pty=True), response, params.query(request, "offset", 0))


def pty_input(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    agent.processes.get(pids[0], pty=True).write_input(request.body)
    response.empty()


def resize_pty(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .pty_sessions import Terminal

    terminal = agent.processes.get(pids[0], pty=True)
    assert isinstance(terminal, Terminal)
    size = params.json_body(request)
    terminal.resize(size["rows"], size["cols"])
    response.empty()


# -------------------------------------------------------------------------------------------- tunnel


def tunnel(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from .tunnel import tunnel

    tunnel(request, response, pids[0])


# ------------------------------------------------------------------------------------------- routing

HANDLERS: dict[str, Handler] = {
    "getEnvVars": get_env,
    "replaceEnvVars": put_env,
    "updateEnvVars": env_routes.update_env,
    "getEnvVar": env_routes.get_env_var,
    "setEnvVar": env_routes.set_env_var,
    "deleteEnvVar": env_routes.delete_env_var,
    "startCommand": start_command,
    "listCommands": list_commands,
    "getCommand": get_command,
    "killCommand": kill_command,
    "streamCommandOutput": command_output,
    "sendCommandStdin": command_stdin,
    "closeCommandStdin": close_command_stdin,
    "signalCommand": signal_command,
    "readFile": read_file,
    "writeFile": write_file,
    "removeFile": remove_file,
    "writeFiles": write_files,
    "listFiles": list_files,
    "statFile": stat_file,
    "renameFile": rename_file,
    "makeDir": make_dir,
    "watchDir": watch_dir,
    "createPty": create_pty,
    "killPty": kill_pty,
    "streamPtyOutput": pty_output,
    "sendPtyInput": pty_input,
    "resizePty": resize_pty,
    "runCode": code_routes.run_code,
    "createCodeContext": code_routes.create_code_context,
    "listCodeContexts": code_routes.list_code_contexts,
    "removeCodeContext": code_routes.remove_code_context,
    "restartCodeContext": code_routes.restart_code_context,
}
# Host-internal, not API operations: the server's readiness probe, exposed ports' tunnels (the port
# travels in the path, checked by tunnel.py), a pod's pause and its usage, a frozen cgroup's clock.
INTERNAL: dict[tuple[str, str], Handler] = {
    ("GET", "/health"): health,
    ("GET", "/tunnel/{port}"): tunnel,
    ("GET", "/freeze"): freeze_state,
    ("POST", "/freeze"): freeze,
    ("POST", "/thaw"): thaw,
    ("POST", "/clock/stop"): clock_routes.stop_clock,
    ("POST", "/clock/start"): clock_routes.start_clock,
    ("GET", "/usage"): usage,
    **volume_routes.ROUTES,  # a volume's files without a sandbox (the kubernetes backend's volume pods)
}
_TABLE: list[tuple[list[str], dict[str, tuple[Handler, Operation | None]]]] = []


def table() -> list[tuple[list[str], dict[str, tuple[Handler, Operation | None]]]]:
    """(path segments, {method: (handler, operation)}) of every route, built once from the spec."""
    if not _TABLE:
        paths: dict[str, dict[str, tuple[Handler, Operation | None]]] = {}
        for (method, path), handler in INTERNAL.items():
            paths.setdefault(path, {})[method] = (handler, None)
        for op in operations():
            if op.agent and op.agent_path is not None:
                paths.setdefault(op.agent_path, {})[op.method] = (HANDLERS[op.id], op)
        _TABLE.extend((path.strip("/").split("/"), methods) for path, methods in paths.items())
    return _TABLE


def _route(request: Request) -> tuple[Handler, list[int]]:
    """The handler for the request and the pids in its path (path parameters checked from the spec);
    404/405 if there is none."""
    if request.method == "GET" and request.path == "/health":
        return health, []  # the readiness probe answers before the spec is loaded (sandbox start)
    segments = request.path.strip("/").split("/")
    for pattern, methods in table():
        if len(pattern) != len(segments):
            continue
        found: dict[str, Any] = {}
        for expected, actual in zip(pattern, segments, strict=True):
            if expected.startswith("{"):
                found[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            entry = methods.get(request.method)
            if entry is None:
                raise HttpError(405, f"{request.method} is not allowed on {request.path}; use {', '.join(methods)}")
            handler, request.operation = entry
            request.path_params = found
            if request.operation is not None:
                params.check_path_params(request)
                pid: int | None = request.path_params.get("pid")
                return handler, [pid] if pid is not None else []
            port = found.get("port", "0")
            if not port.isascii() or not port.isdigit():
                raise HttpError(400, f"port must be a number, got {port[:40]!r}")
            return handler, [int(port)]
    raise HttpError(404, f"no such route: {request.method} {request.path}")
