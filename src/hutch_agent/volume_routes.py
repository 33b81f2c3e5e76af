"""Host-internal routes for a volume's files without a sandbox (the kubernetes backend's volume pods,
hutchd/backends/kubernetes/volumes.py): the server's volume files API done here by volumefiles.py,
the code the local backend runs on its host, on the volume mounted at `root`. Each handler loads
volumefiles.py on its first call, not at the agent's start.

The server checked the request against the spec; these still refuse what they cannot parse (400).
A failed operation is answered with its status (hutch_agent/errors.py) and, so that the server
words it exactly as for a volume of its host, the OSError's `errno` and `strerror`, or `invalid`:
the ValueError's (or OverflowError's) message.
"""

from __future__ import annotations

import os

from .errors import HttpError, from_os_error
from .server import Request, Response

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

    from .routes import Agent


def _text(request: Request, name: str) -> str:
    value = request.query.get(name)
    if value is None or "\0" in value:
        raise HttpError(400, f"query parameter {name} is missing or holds NUL")
    return value


def _number(request: Request, name: str) -> int:
    text = _text(request, name)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise HttpError(400, f"query parameter {name} must be a non-negative integer, got {text[:40]!r}")
    return int(text)


def _answer_failure(response: Response, exc: Exception, path: str) -> None:
    if isinstance(exc, OSError):
        err = from_os_error(exc, path)
        body: dict[str, Any] = {"errno": exc.errno, "strerror": exc.strerror or str(exc)}
    else:
        err, body = HttpError(422, str(exc)), {"invalid": str(exc)}
    response.json(err.status, {"code": err.status, "message": err.message, **body})


def _owner(request: Request) -> tuple[int, int, int]:
    return _number(request, "uid"), _number(request, "gid"), _number(request, "mode")


def stat(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import volumefiles

    root, path = _text(request, "root"), _text(request, "path")
    try:
        entry = volumefiles.stat_path(root, path, volumefiles.SAME)
    except (OSError, ValueError) as exc:
        return _answer_failure(response, exc, path)
    response.json(200, entry)


def list_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import volumefiles

    root, path, depth = _text(request, "root"), _text(request, "path"), _number(request, "depth")
    try:
        entries = volumefiles.list_dir(root, path, depth, volumefiles.SAME)
    except (OSError, ValueError, OverflowError) as exc:
        return _answer_failure(response, exc, path)
    response.json(200, entries)


def remove(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import volumefiles

    root, path = _text(request, "root"), _text(request, "path")
    try:
        volumefiles.remove(root, path)
    except (OSError, ValueError) as exc:
        return _answer_failure(response, exc, path)
    response.empty()


def make_dir(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import volumefiles

    root, path = _text(request, "root"), _text(request, "path")
    try:
        made, entry = volumefiles.make_dir(root, path, *_owner(request), volumefiles.SAME)
    except (OSError, ValueError) as exc:
        return _answer_failure(response, exc, path)
    response.json(201 if made else 200, entry)


def read(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    from . import volumefiles

    root, path = _text(request, "root"), _text(request, "path")
    try:
        fd = volumefiles.open_for_read(root, path)
    except (OSError, ValueError) as exc:
        return _answer_failure(response, exc, path)
    try:
        response.file(200, fd, "application/octet-stream")
    finally:
        os.close(fd)


def write(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    """The body into the file, as volumefiles.Upload writes it (a full volume leaves the old file)."""
    from . import volumefiles

    root, path = _text(request, "root"), _text(request, "path")
    try:
        upload = volumefiles.Upload(root, path, *_owner(request), volumefiles.SAME)
    except (OSError, ValueError) as exc:
        return _answer_failure(response, exc, path)
    try:
        for chunk in request.body:
            upload.write(chunk)
        entry = upload.commit()
    except OSError as exc:
        upload.abort()
        return _answer_failure(response, exc, path)
    except BaseException:
        upload.abort()
        raise
    response.json(200, entry)


ROUTES = {
    ("GET", "/volume/stat"): stat,
    ("GET", "/volume/list"): list_dir,
    ("POST", "/volume/dir"): make_dir,
    ("GET", "/volume/file"): read,
    ("PUT", "/volume/file"): write,
    ("DELETE", "/volume/file"): remove,
}
