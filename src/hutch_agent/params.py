"""A request's parameters and JSON body, read and checked against openapi.yaml by the contract's one
validator (hutch_agent.contract), whose refusals are answered in the `Error` shape. No limit is
written here: a body field of the wrong type or a missing one is 400 at the agent (the validator's
`type_status`), out of range 422, a bad path or query parameter 400, too large 413.
"""

from __future__ import annotations

from . import contract
from .errors import HttpError
from .server import Request

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any


def json_body(request: Request) -> dict[str, Any]:
    """The request body as the operation's JSON object: within its size limit (413), strict UTF-8 with
    no lone surrogate, nested no deeper than the spec allows, and valid against its schema."""
    operation: contract.Operation = request.operation
    raw = request.body.read_all(operation.max_body_bytes or 0)
    try:
        return contract.check_body(operation, contract.parse_json(raw), type_status=400)
    except contract.Invalid as exc:
        raise HttpError(exc.status, exc.message) from None


def query(request: Request, name: str, default: Any = None) -> Any:
    """A query parameter of the operation, converted to its type and checked; `default` when absent."""
    try:
        value = contract.check_param(request.operation, "query", name, request.query.get(name))
    except contract.Invalid as exc:
        raise HttpError(exc.status, exc.message) from None
    return default if value is None else value


def check_path_params(request: Request) -> None:
    """The operation's path parameters (but the gateway's sandboxID), converted and checked (400)."""
    for spec in request.operation.parameters:
        name = spec["name"]
        if spec["in"] == "path" and name != "sandboxID":
            try:
                request.path_params[name] = contract.check_param(
                    request.operation, "path", name, request.path_params[name]
                )
            except contract.Invalid as exc:
                raise HttpError(exc.status, exc.message) from None
