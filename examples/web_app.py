"""Start a web app inside a sandbox and print the URL at which this machine reaches it.

Run a server first (`hutch serve`, or `make serve`), then:

    HUTCH_API_KEY=<the key hutch serve printed> python examples/web_app.py

Open the printed URL in a browser (or `curl` it); Ctrl+C kills the sandbox. `--once` fetches the
page once and exits. `--private` makes the app reachable only with the API key or the sandbox's
traffic token (the printed URL then carries the token, for a browser).

The app listens on port 8000 inside the sandbox; no port is bound on this machine: the hutch server
relays `http://<server>/sandboxes/<id>/ports/8000/...` (HTTP and WebSocket) to it.
"""

from __future__ import annotations

import sys
import time

import httpx

from hutch import Sandbox, SandboxNetworkOpts

APP = """
import datetime, http.server, json, socket

class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/api/time"):
            body, kind = json.dumps({"now": datetime.datetime.now().isoformat()}).encode(), "application/json"
        else:
            body = f"<h1>hello from {socket.gethostname()}</h1><p>see <a href='api/time'>api/time</a></p>".encode()
            kind = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.ThreadingHTTPServer(("0.0.0.0", 8000), App).serve_forever()
"""


def main() -> None:
    once = "--once" in sys.argv
    private = "--private" in sys.argv
    with Sandbox.create(network=SandboxNetworkOpts(allow_public_traffic=not private)) as sbx:
        sbx.files.write("/home/user/app.py", APP)
        sbx.commands.run("python3 /home/user/app.py", background=True)

        url = f"http://{sbx.get_host(8000)}/"
        headers = {"X-Hutch-Traffic-Token": sbx.get_info().traffic_access_token or ""} if private else {}
        for _ in range(100):  # the app needs a moment to start listening
            r = httpx.get(url, headers=headers)
            if r.status_code == 200:
                break
            time.sleep(0.1)
        r.raise_for_status()
        print(f"sandbox {sbx.sandbox_id} serves a web app at:")
        token = sbx.get_info().traffic_access_token
        print(f"  {url}" + (f"?hutch_token={token}" if private and token else ""))
        print(f"fetched it from here: {r.text}")
        print(f"and its API: {httpx.get(url + 'api/time', headers=headers).json()}")
        if once:
            return
        print("Ctrl+C kills the sandbox")
        try:
            while sbx.is_running():
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    print("killed")


if __name__ == "__main__":
    main()
