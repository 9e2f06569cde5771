#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""proxysend.py: a TCP front that writes PROXY protocol headers by hand, for
the integration tests of listen-proxy-proto.

  proxysend.py --host H --port P CASE [--client A] [--client-port N] [--wait S]

CASE is one of:
  v1        "PROXY TCP4 A H N P" then TLS and "GET /": the connection is served
            (an IPv6 A: "PROXY TCP6 A 2001:db8::1 N P", likewise in v2)
  v2        the same header in version 2 (binary)
  local     a version 2 LOCAL header (the front's own connection), then TLS
  none      no header at all: TLS right away (a client that bypassed the front)
  malformed "PROXY TCP4 A H 99999 P" (a port out of range), then TLS
  unknown   "PROXY UNKNOWN" (no address: refused by the gateway), then TLS
  v1-split  the v1 header in three pieces 0.3 s apart, then TLS (a slow front)
  silent    connect and send nothing
  partial   the first 10 bytes of a v1 header, then nothing
  hold      a whole v1 header, then nothing (a client that never starts TLS)
  empty     connect and close at once (a TCP health check)

Output: one line "CASE: <HTTP status line, or how it ended> after N ms"
(N: from the connect to that event). Exit status: 0 served (an HTTP reply
came), 1 the server closed the connection without serving it, 2 the test
could not run, 3 still open after --wait seconds (default 15).
"""

import argparse
import socket
import ssl
import struct
import sys
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v6(a):
    """An IPv6 client: the header names 2001:db8::1 as the address it reached."""
    return ":" in a.client


def v1_header(a):
    proto, dst = ("TCP6", "2001:db8::1") if v6(a) else ("TCP4", a.host)
    return (f"PROXY {proto} {a.client} {dst} {a.client_port} {a.port}\r\n").encode()


def v2_header(a, local=False):
    if local:
        return V2_SIG + bytes([0x20, 0x00]) + struct.pack(">H", 0)
    if v6(a):
        fam, addrs = 0x21, (socket.inet_pton(socket.AF_INET6, a.client) +
                            socket.inet_pton(socket.AF_INET6, "2001:db8::1"))
    else:
        fam, addrs = 0x11, socket.inet_aton(a.client) + socket.inet_aton(a.host)
    body = addrs + struct.pack(">HH", a.client_port, a.port)
    return V2_SIG + bytes([0x21, fam]) + struct.pack(">H", len(body)) + body


def wait_close(sock, deadline):
    """Until the peer closes (EOF or reset) or the deadline: True if closed."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return False
        except OSError:
            return True
        if not data:
            return True
    return False


def tls_get(sock, host, deadline):
    """TLS handshake and GET /: the status line, or raises OSError/SSLError."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    tls = ctx.wrap_socket(sock, server_hostname=host)
    tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while b"\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            raise ConnectionError("closed before a reply")
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--client", default="192.0.2.7")
    p.add_argument("--client-port", type=int, default=40000)
    p.add_argument("--wait", type=float, default=15.0)
    p.add_argument("case", choices=["v1", "v2", "local", "none", "malformed", "unknown", "v1-split",
                                    "silent", "partial", "hold", "empty"])
    a = p.parse_args()

    try:
        sock = socket.create_connection((a.host, a.port), timeout=5)
    except OSError as e:
        print(f"{a.case}: connect failed: {e}")
        return 2
    t0 = time.monotonic()
    deadline = t0 + a.wait

    def done(what, rc):
        print(f"{a.case}: {what} after {int((time.monotonic() - t0) * 1000)} ms", flush=True)
        return rc

    if a.case == "empty":
        sock.close()
        return done("closed", 0)
    head = {
        "v1": v1_header(a), "v2": v2_header(a), "local": v2_header(a, local=True),
        "none": b"", "v1-split": v1_header(a),
        "malformed": v1_header(a).replace(str(a.client_port).encode(), b"99999", 1),
        "unknown": b"PROXY UNKNOWN\r\n", "silent": b"", "partial": v1_header(a)[:10],
        "hold": v1_header(a),
    }[a.case]
    try:
        if a.case == "v1-split":
            third = len(head) // 3
            for piece in (head[:third], head[third:2 * third], head[2 * third:]):
                sock.sendall(piece)
                time.sleep(0.3)
        elif head:
            sock.sendall(head)
        if a.case in ("silent", "partial", "hold"):
            if wait_close(sock, deadline):
                return done("closed by the server", 1)
            return done("still open", 3)
        status = tls_get(sock, a.host, deadline)
    except (OSError, ssl.SSLError, ConnectionError) as e:
        if time.monotonic() >= deadline:
            return done(f"still open ({e})", 3)
        return done(f"closed by the server ({type(e).__name__})", 1)
    return done(status, 0)


if __name__ == "__main__":
    sys.exit(main())
