"""uvicorn's HTTP/1.1 protocol (httptools), answering the 400s of its own parser in the API's `Error` shape.

A request line or header block that is not HTTP never reaches the application: uvicorn answers it
itself, in plain text. This subclass sends the same answer as `{"code": 400, "message": ...}`, so a
client reads one error shape whatever was wrong. `hutch serve` selects it (cli.py).
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class ErrorShapeProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"code": 400, "message": f"the request is not valid HTTP/1.1 ({msg})"}).encode()
        head = (
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        )
        self.transport.write(head + body)
        self.transport.close()
