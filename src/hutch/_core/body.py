"""Request bodies that stream: single uploads and the batch multipart body (shared, sans-I/O).

A body is described by a :class:`Body`: a factory that produces the bytes to send for one try
(a fresh iterator each time, seeking file objects back to where they started), the length when
it is known up front, and whether a retry can send it again.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from hutch.exceptions import InvalidArgumentException
from hutch.types import WriteEntry

CHUNK = 1024 * 1024

Content = bytes | Iterator[bytes] | AsyncIterable[bytes]


@dataclass
class Body:
    """How to send one request body, possibly several times."""

    produce: Callable[[], Content]
    length: int | None
    replayable: bool
    content_type: str = "application/octet-stream"

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        if self.length is not None:
            headers["Content-Length"] = str(self.length)
        return headers


def _chunks(stream: IO[Any]) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def _remaining(stream: IO[Any]) -> int | None:
    """Bytes left in a seekable binary file, or None if that cannot be known cheaply."""
    try:
        if isinstance(stream, io.TextIOBase) or not stream.seekable():
            return None
        pos = stream.tell()
        try:
            size = os.fstat(stream.fileno()).st_size
        except (OSError, AttributeError, io.UnsupportedOperation):
            size = stream.seek(0, os.SEEK_END)
            stream.seek(pos)
        return max(0, size - pos)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _once(iterator: Iterator[bytes] | AsyncIterable[bytes]) -> Callable[[], Content]:
    used = False

    def produce() -> Content:
        nonlocal used
        if used:
            raise InvalidArgumentException("this upload's data was a one-shot stream and cannot be re-sent")
        used = True
        return iterator

    return produce


def _in_memory(raw: bytes) -> Body:
    """Bytes sent as they are, or in ``CHUNK`` slices when larger: httpcore sends a buffer by copying
    what is left of it after each partial ``send``, which for a large one is quadratic."""
    if len(raw) <= CHUNK:
        return Body(lambda: raw, len(raw), True)
    return Body(lambda: (raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK)), len(raw), True)


def upload(data: object) -> Body:
    """A body for ``data``: str (UTF-8), bytes-like, a binary or text file object, or an iterable of bytes."""
    if isinstance(data, str):
        return _in_memory(data.encode("utf-8"))
    if isinstance(data, bytes | bytearray | memoryview):
        return _in_memory(bytes(data))
    if hasattr(data, "read"):
        stream: IO[Any] = data  # type: ignore[assignment]
        remaining = _remaining(stream)
        if remaining is None:
            return Body(_once(_chunks(stream)), None, False)
        start = stream.tell()

        def rewind() -> Content:
            stream.seek(start)
            return _chunks(stream)

        return Body(rewind, remaining, True)
    if isinstance(data, Iterable):
        return Body(_once(_as_bytes(data)), None, False)
    if isinstance(data, AsyncIterable):  # AsyncFiles.write only
        return Body(_once(data), None, False)
    raise InvalidArgumentException(
        f"cannot write {type(data).__name__}: pass str, bytes, a binary file object or an iterable of bytes"
    )


def _as_bytes(items: Iterable[Any]) -> Iterator[bytes]:
    for item in items:
        if isinstance(item, str):
            yield item.encode("utf-8")
        elif isinstance(item, bytes | bytearray | memoryview):
            yield bytes(item)
        else:
            raise InvalidArgumentException(f"an upload stream yielded {type(item).__name__}, not bytes")


def _disposition_name(path: str) -> str:
    """Escape a filename for a Content-Disposition header as browsers do (WHATWG HTML)."""
    return path.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart(entries: Sequence[WriteEntry]) -> Body:
    """A ``multipart/form-data`` body with one ``files`` part per entry, its filename the path.

    The boundary is random (the generated client hard-codes ``+++``, which file content could
    contain) and the parts stream, so large files are never held in memory.
    """
    if not entries:
        raise InvalidArgumentException("write_files needs at least one WriteEntry")
    boundary = secrets.token_hex(16)
    parts: list[tuple[bytes, Body]] = []
    for entry in entries:
        if not isinstance(entry, WriteEntry):
            raise InvalidArgumentException(f"write_files takes WriteEntry items, not {type(entry).__name__}")
        if not entry.path:
            raise InvalidArgumentException("every WriteEntry needs a path")
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{_disposition_name(entry.path)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        parts.append((head, upload(entry.data)))
    tail = f"--{boundary}--\r\n".encode()
    sizes = [body.length for _, body in parts]
    length = None
    if all(size is not None for size in sizes):
        length = sum(len(head) + (body.length or 0) + 2 for head, body in parts) + len(tail)

    def produce() -> Content:
        return _stream_parts([(head, body.produce) for head, body in parts], tail)

    return Body(
        produce,
        length,
        all(body.replayable for _, body in parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _stream_parts(parts: list[tuple[bytes, Callable[[], Content]]], tail: bytes) -> Iterator[bytes]:
    for head, produce in parts:
        yield head
        content = produce()
        if isinstance(content, bytes):
            yield content
        elif isinstance(content, Iterator):
            yield from content
        else:
            raise InvalidArgumentException("write_files takes str, bytes or file objects, not async iterables")
        yield b"\r\n"
    yield tail
