"""The agent's `env` routes: the sandbox-wide variables (`SandboxEnv`), whole or one at a time.
GET and PUT of the whole set are in routes.py (the server also uses them to set a sandbox's envs)."""

from __future__ import annotations

from . import params
from .errors import HttpError
from .server import Request, Response

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from .routes import Agent


def _name(request: Request) -> str:
    """The `{name}` of /env/{name}."""
    return request.path.strip("/").split("/")[1]


def update_env(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, agent.env.update(params.json_body(request)))


def get_env_var(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    name = _name(request)
    value = agent.env.get().get(name)
    if value is None:
        raise HttpError(404, f"the sandbox has no environment variable {name!r}")
    response.json(200, {"name": name, "value": value})


def set_env_var(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    name = _name(request)
    value: str = params.json_body(request)["value"]
    agent.env.update({name: value})
    response.json(200, {"name": name, "value": value})


def delete_env_var(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    name = _name(request)
    if not agent.env.remove(name):
        raise HttpError(404, f"the sandbox has no environment variable {name!r}")
    response.empty()
