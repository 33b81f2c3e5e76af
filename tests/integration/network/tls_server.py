"""A test host's server (standard library only): HTTP on port 80 and HTTPS on 443 with the
certificate given, each answering `hello <Host header> over <http|https>`; `/big?n=BYTES` answers
that many bytes (the proxy benchmark's download); `/auth` the SHA-256 of the Authorization header it
got and `/echo-auth` the header itself (every answer echoes it in `X-Echo`); `/say?TEXT` answers
TEXT (URL-decoded); a POST answers its body as it arrived (with a length, or in chunks).
`python3 tls_server.py CERT KEY`."""

import hashlib
import http.server
import ssl
import sys
import threading
import urllib.parse

CHUNK = b"x" * 65536


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def do_GET(self):
        if self.path.startswith("/big?n="):
            size = int(self.path.split("=", 1)[1])
            self._head(size)
            for start in range(0, size, len(CHUNK)):
                self.wfile.write(CHUNK[: size - start])
            return
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        auth = self.headers.get("Authorization", "")
        if self.path == "/auth":  # proves what arrived without sending it back
            body = f"auth sha256={hashlib.sha256(auth.encode()).hexdigest()}".encode()
        elif self.path == "/echo-auth":  # sends it back, in the body and a header
            body = auth.encode()
        elif self.path.startswith("/say?"):
            body = urllib.parse.unquote(self.path[5:]).encode()
        else:
            body = f"hello {self.headers.get('Host', '-')} over {scheme}".encode()
        self._head(len(body))
        self.wfile.write(body)

    def do_POST(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._head(len(body))
        self.wfile.write(body)

    def _head(self, length):
        self.send_response(200)
        self.send_header("X-Echo", self.headers.get("Authorization", ""))
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def log_message(self, *a):
        pass


def main():
    cert, key = sys.argv[1], sys.argv[2]
    tls = http.server.ThreadingHTTPServer(("0.0.0.0", 443), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
    http.server.ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()


main()
