"""A test server with the standard library only (the sandbox template has python3, no packages):
`python3 echo_server.py PORT`.

* WebSocket (RFC 6455, enough of it): text frames come back prefixed with `echo: `, binary frames as
  they are; the first offered subprotocol is accepted; a close frame is answered.
* Plain HTTP: answers any method with JSON `{"method", "path", "headers", "body"}` describing the
  request it got (so tests can see what the gateway passed on).
"""

import base64
import hashlib
import json
import socket
import struct
import sys
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(conn, n, buf=b""):
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def send_frame(conn, opcode, payload):
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    conn.sendall(head + payload)


def websocket(conn, headers):
    key = headers["sec-websocket-key"]
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    reply += f"Sec-WebSocket-Accept: {accept}\r\n"
    if "sec-websocket-protocol" in headers:
        reply += f"Sec-WebSocket-Protocol: {headers['sec-websocket-protocol'].split(',')[0].strip()}\r\n"
    conn.sendall((reply + "\r\n").encode())
    while True:
        b1, b2 = recv_exact(conn, 2)
        opcode, n = b1 & 0x0F, b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", recv_exact(conn, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", recv_exact(conn, 8))[0]
        mask = recv_exact(conn, 4) if b2 & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(recv_exact(conn, n)))
        if opcode == 0x8:
            send_frame(conn, 0x8, payload[:2])
            return
        if opcode == 0x9:
            send_frame(conn, 0xA, payload)
        elif opcode == 0x1:
            send_frame(conn, 0x1, b"echo: " + payload)
        elif opcode == 0x2:
            send_frame(conn, 0x2, payload)


def serve(conn):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append([name.strip().lower(), value.strip()])
        lookup = dict(headers)
        if lookup.get("upgrade", "").lower() == "websocket":
            websocket(conn, lookup)
            return
        body = recv_exact(conn, int(lookup.get("content-length", "0")), rest)
        out = json.dumps({"method": method, "path": path, "headers": headers, "body": body.decode("latin-1")})
        out = out.encode()
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(out)}\r\n\r\n".encode()
            + out
        )
    except (EOFError, OSError, KeyError, ValueError):
        pass
    finally:
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(sys.argv[1])))
    listener.listen(16)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
