"""uvicorn's HTTP/1.1 protocol (h11), answering the 400s of its own parser in the API's `Error` shape.

A request line or header block that is not HTTP never reaches the application: uvicorn answers it
itself, in plain text. This subclass sends the same answer as `{"code": 400, "message": ...}`, so a
client reads one error shape whatever was wrong. `hutch serve` selects it (cli.py).
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class ErrorShapeH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"code": 400, "message": f"the request is not valid HTTP/1.1 ({msg})"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        response = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
        for event in (response, h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
