"""Errors a handler raises to answer with the `Error` shape, and how OS errors map onto them."""

from __future__ import annotations

import errno


class HttpError(Exception):
    """Answered to the client as `{"code": status, "message": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# errno -> (status, what the message says before the path)
_OS_ERRORS: dict[int, tuple[int, str]] = {
    errno.ENOENT: (404, "no such file or directory"),
    errno.EACCES: (403, "permission denied"),
    errno.EPERM: (403, "operation not permitted"),
    errno.EROFS: (403, "read-only file system"),
    errno.EISDIR: (409, "is a directory"),
    errno.ENOTDIR: (409, "not a directory"),
    errno.EEXIST: (409, "already exists"),
    errno.ENOTEMPTY: (409, "directory not empty"),
    errno.EBUSY: (409, "busy"),
    errno.EXDEV: (409, "cannot move across file systems"),
    errno.EINVAL: (422, "invalid argument"),
    errno.ELOOP: (422, "too many levels of symbolic links"),
    errno.ENAMETOOLONG: (422, "file name too long"),
    errno.ENOSPC: (507, "no space left on device"),
    errno.EDQUOT: (507, "disk quota exceeded"),
}


def from_os_error(exc: OSError, path: str | None = None) -> HttpError:
    """The `HttpError` an OS error on `path` means for the client (500 for the unexpected ones)."""
    status, what = _OS_ERRORS.get(exc.errno or 0, (500, exc.strerror or str(exc)))
    where = path if path is not None else exc.filename
    return HttpError(status, f"{what}: {where}" if where else what)
