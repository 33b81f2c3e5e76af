"""Stub agent: GET /health and POST /exec on the listening socket the host passes as fd 3."""

import json
import os
import socket
import socketserver
import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # client_address is "" on AF_UNIX: no logging
        pass

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._reply(200, {"ok": True, "sandbox": os.environ.get("HUTCH_SANDBOX_ID")})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ids = {} if req.get("user", "root") == "root" else {"user": 1000, "group": 1000, "extra_groups": []}
        env = {"PATH": os.environ["PATH"], "HOME": "/root", **json.loads(os.environ.get("HUTCH_ENVS_JSON", "{}"))}
        try:
            p = subprocess.run(
                req["cmd"],
                input=req.get("stdin", "").encode(),
                capture_output=True,
                timeout=req.get("timeout", 30),
                env=env,
                cwd="/",
                start_new_session=True,
                **ids,
            )
            out = {
                "exit_code": p.returncode,
                "stdout": p.stdout.decode(errors="replace"),
                "stderr": p.stderr.decode(errors="replace"),
            }
        except subprocess.TimeoutExpired as e:
            out = {"exit_code": None, "stdout": (e.stdout or b"").decode(errors="replace"), "stderr": "timeout"}
        self._reply(200, out)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


srv = Server("", Handler, bind_and_activate=False)
srv.socket = socket.socket(fileno=int(os.environ["HUTCH_AGENT_FD"]))
srv.serve_forever()
