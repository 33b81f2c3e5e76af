"""git's smart HTTP (``git http-backend``, Debian's git) behind basic auth, standard library only:
``python3 git_server.py ROOT USER:PASSWORD`` serves the bare repositories under ROOT on port 80.

``/public/...`` needs no credentials (push included); ``/private/...`` answers 401 unless the request
carries ``USER:PASSWORD``. Each request that reached the backend is appended to ``ROOT/requests.log``
as ``METHOD PATH USER`` (so a test can see which credentials arrived).
"""

import base64
import http.server
import os
import subprocess
import sys

ROOT, CREDENTIALS = sys.argv[1], sys.argv[2]
BACKEND = "/usr/lib/git-core/git-http-backend"


def read_chunked(rfile):
    body = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            rfile.readline()
            return body
        body += rfile.read(size)
        rfile.readline()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def user(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        return base64.b64decode(header[6:]).decode(errors="replace")

    def refuse(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def handle_git(self):
        path, _, query = self.path.partition("?")
        given = self.user()
        if path.startswith("/private/") and given != CREDENTIALS:
            self.refuse()
            return
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"{self.command} {path} {given or '-'}\n")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ROOT,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_USER": (given or "anonymous").split(":")[0],
            "REMOTE_ADDR": self.client_address[0],
        }
        out = subprocess.run([BACKEND], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = handle_git

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()
