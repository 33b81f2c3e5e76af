"""A streaming multipart/form-data reader: parts come out one at a time, their data in chunks.

The stdlib's parsers (`email`, the deprecated `cgi`) read whole bodies into memory; a batch upload can
be gigabytes, so this one holds at most one read plus a delimiter's length of each part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .errors import HttpError
from .server import Body, unquote

MAX_PART_HEADERS = 16 * 1024
# What HTML5 form encoding (browsers, httpx) percent-escapes in a quoted filename.
_FORM_ESCAPES = re.compile(r"%(22|[01][0-9A-Fa-f])")


def boundary_of(content_type: str) -> bytes:
    """The boundary from a `multipart/form-data; boundary=...` header, quoted or not."""
    kind, _, rest = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise HttpError(400, f"expected a multipart/form-data body, got Content-Type {content_type!r}")
    params = _params(rest)
    boundary = params.get("boundary", "")
    if not 1 <= len(boundary) <= 200:
        raise HttpError(400, "the multipart/form-data Content-Type has no usable boundary")
    return boundary.encode("latin-1", "replace")


def _params(text: str) -> dict[str, str]:
    """`; key=value; key="quoted \\" value"` parameters of a header, keys lower-cased."""
    params: dict[str, str] = {}
    for match in re.finditer(r';?\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', text):
        key, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[key] = value
    return params


def _filename(disposition: str) -> str | None:
    params = _params(disposition.partition(";")[2])
    extended = params.get("filename*")
    if extended and "''" in extended:  # RFC 5987: charset'language'percent-encoded
        return unquote(extended.split("'", 2)[2])
    name = params.get("filename")
    if name is None:
        return None
    return _FORM_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), name)


class Part:
    """One part: its filename and its data, which must be read (`chunks`) before the next part."""

    def __init__(self, reader: MultipartReader, filename: str | None, field: str | None):
        self.filename = filename
        self.field = field
        self._reader = reader

    def chunks(self) -> Iterator[bytes]:
        return self._reader._part_data()


class MultipartReader:
    def __init__(self, body: Body, boundary: bytes) -> None:
        self._body = body
        self._delimiter = b"\r\n--" + boundary
        self._buf = bytearray(b"\r\n")  # so a boundary on the very first line matches too
        self._in_part = False

    def _fill(self) -> None:
        data = self._body.read()
        if not data:
            raise HttpError(400, "the multipart body ended before its closing boundary")
        self._buf += data

    def _skip_to_delimiter(self) -> None:
        start = 0
        while (index := self._buf.find(self._delimiter, start)) < 0:
            start = max(0, len(self._buf) - len(self._delimiter) + 1)
            self._fill()
        del self._buf[: index + len(self._delimiter)]

    def _part_data(self) -> Iterator[bytes]:
        """The current part's bytes, up to (not including) the next delimiter."""
        keep = len(self._delimiter) - 1  # a delimiter may straddle two reads
        while True:
            index = self._buf.find(self._delimiter)
            if index >= 0:
                data = bytes(self._buf[:index])
                del self._buf[: index + len(self._delimiter)]
                self._in_part = False
                if data:
                    yield data
                return
            if len(self._buf) > keep:
                data = bytes(self._buf[: len(self._buf) - keep])
                del self._buf[: len(self._buf) - keep]
                yield data
            self._fill()

    def parts(self) -> Iterator[Part]:
        self._skip_to_delimiter()
        while True:
            while len(self._buf) < 2:
                self._fill()
            if self._buf[:2] == b"--":
                return  # the closing delimiter: what follows is epilogue
            while (end := self._buf.find(b"\r\n\r\n")) < 0:
                if len(self._buf) > MAX_PART_HEADERS:
                    raise HttpError(400, "a multipart part's headers are too long")
                self._fill()
            head = bytes(self._buf[:end]).decode("utf-8", "surrogateescape")
            del self._buf[: end + 4]
            headers = {}
            for line in head.split("\r\n")[1:]:  # the first line is the rest of the delimiter line
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            disposition = headers.get("content-disposition", "")
            self._in_part = True
            yield Part(self, _filename(disposition), _params(disposition.partition(";")[2]).get("name"))
            if self._in_part:
                for _ in self._part_data():
                    pass  # the consumer skipped this part's data
