"""The file of a `multipart/form-data` upload (E2B's upload URL form: one part named `file`), streamed.

The agent's reader (hutch_agent/multipart.py) is blocking; this one reads the client's ASGI stream
and yields the `file` part's bytes as they come, holding at most one chunk plus a delimiter's length.
Other parts before it are skipped; anything after it is read and dropped.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from hutch_agent.errors import HttpError
from hutch_agent.multipart import MAX_PART_HEADERS, boundary_of
from hutchd.http.errors import ApiError, bad_request

FIELD = "file"
_NAME = re.compile(r';\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.IGNORECASE)


def boundary(content_type: str) -> bytes:
    try:
        return boundary_of(content_type)
    except HttpError as e:
        raise ApiError(e.status, e.message) from None


class _Scanner:
    def __init__(self, chunks: AsyncIterator[bytes], boundary: bytes) -> None:
        self._chunks = chunks
        self.delimiter = b"\r\n--" + boundary
        self.buf = bytearray(b"\r\n")  # so a boundary on the very first line matches too

    async def more(self) -> None:
        async for chunk in self._chunks:
            if chunk:
                self.buf += chunk
                return
        raise bad_request("the multipart body ended before its closing boundary")

    async def past_delimiter(self) -> bool:
        """Drop everything up to and including the next delimiter; False when it closes the body."""
        while (index := self.buf.find(self.delimiter)) < 0:
            del self.buf[: max(0, len(self.buf) - len(self.delimiter))]
            await self.more()
        del self.buf[: index + len(self.delimiter)]
        while len(self.buf) < 2:
            await self.more()
        return self.buf[:2] != b"--"

    async def part_name(self) -> str | None:
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > MAX_PART_HEADERS:
                raise bad_request("a multipart part's headers are too long")
            await self.more()
        head = bytes(self.buf[:end]).decode("utf-8", "replace")
        del self.buf[: end + 4]
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                m = _NAME.search(value)
                return (m.group(1) if m.group(1) is not None else m.group(2)) if m else None
        return None

    async def data(self) -> AsyncIterator[bytes]:
        """This part's bytes, up to the next delimiter (left in the buffer)."""
        keep = len(self.delimiter) - 1  # a delimiter may straddle two chunks
        while (index := self.buf.find(self.delimiter)) < 0:
            if len(self.buf) > keep:
                yield bytes(self.buf[: len(self.buf) - keep])
                del self.buf[: len(self.buf) - keep]
            await self.more()
        if index:
            yield bytes(self.buf[:index])
        del self.buf[:index]


async def file_part(chunks: AsyncIterator[bytes], boundary: bytes) -> AsyncIterator[bytes]:
    """The bytes of the part named `file`; 400 when the body has none or is cut short."""
    scan = _Scanner(chunks, boundary)
    while await scan.past_delimiter():
        if await scan.part_name() == FIELD:
            async for piece in scan.data():
                yield piece
            async for _ in chunks:
                pass  # the rest (other parts, the closing delimiter) is not needed
            return
    raise bad_request(f"the multipart body has no part named {FIELD!r} (E2B's upload form)")
