#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""rawtls.py: a deliberately broken OpenConnect client for the integration tests.

It opens one TLS connection to the gateway, sends one kind of malformed input
(HTTP before a CONNECT, or a bad CSTP frame after a successful CONNECT), then
reads until the server closes the connection or the timeout runs out.

  rawtls.py --host 10.77.0.1 --port 4443 --ca server-cert.pem CASE [--cookie C]

Output: one line "CASE: <status line or 'no reply'>, <how it ended> after N ms".
Exit status: 0 the server closed the connection (close_notify, EOF or reset),
1 it was still open when the timeout ran out, 2 the test could not run (TLS
failed, CONNECT refused, bad arguments).
"""

import argparse
import socket
import ssl
import struct
import sys
import time

AUTH_HEADERS = (
    "User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
    "X-Transcend-Version: 1\r\n"
    "X-Aggregate-Auth: 1\r\n"
    "Content-Type: application/xml; charset=utf-8\r\n"
)


def http_post(host, body, extra=""):
    if isinstance(body, str):
        body = body.encode()
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: {host}\r\n" + AUTH_HEADERS + extra +
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def cstp(ptype, payload=b"", length=None, magic=b"STF\x01", byte7=0):
    """One CSTP frame (doc/spec/interop.md 3.1); length/magic/byte7 may lie."""
    if length is None:
        length = len(payload)
    return magic + struct.pack(">HBB", length, ptype, byte7) + payload


# HTTP cases: sent right after the TLS handshake, before any CONNECT.
HTTP_CASES = {
    # Not HTTP at all.
    "http-garbage": lambda h: b"\x00\xff\xfeNOT HTTP AT ALL\x01\x02\r\n\r\n",
    # A request line without method, target or version.
    "http-bad-request-line": lambda h: b"GARBAGE\r\nHost: x\r\n\r\n",
    # A header line far longer than any sane request.
    "http-huge-header": lambda h: (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"A" * 200000 + b"\r\n\r\n"),
    # A Content-Length that is not a number.
    "http-bad-content-length": lambda h: (
        f"POST / HTTP/1.1\r\nHost: {h}\r\n{AUTH_HEADERS}"
        "Content-Length: -12x\r\n\r\n<config-auth/>").encode(),
    # Well-formed HTTP carrying XML that does not parse.
    "xml-garbage": lambda h: http_post(
        h, '<?xml version="1.0"?><config-auth client="vpn" type="init">'
           '<<version who="vpn">&&&</config-auth'),
    # An auth-reply with nested elements the server never asked for.
    "xml-wrong-shape": lambda h: http_post(
        h, '<?xml version="1.0"?><config-auth client="vpn" type="auth-reply">'
           '<auth><username><username><username>x</username></username>'
           '</username><password/></auth></config-auth>' + "<x>" * 5000),
    # A request that never ends: the worker waits for the rest (auth-timeout).
    "http-incomplete": lambda h: f"POST / HTTP/1.1\r\nHost: {h}\r\n".encode(),
    # A login whose user name carries a newline, a forged log line, the C1
    # control CSI (U+009B, a terminal escape introducer), a right-to-left
    # override and a carriage return: XML character references, so the XML
    # itself is well-formed.
    "login-control-chars": lambda h: http_post(
        h, '<?xml version="1.0"?><config-auth client="vpn" type="auth-reply">'
           '<version who="vpn">v9.01</version><auth>'
           '<username>evil&#10;2026-01-01 00:00:00.000 ocserv-modern[1]: info: '
           'user &apos;admin&apos; logged in&#x9b;31m&#x202e;&#13;</username>'
           '<password>x</password></auth></config-auth>'),
}

# CSTP cases: sent as one TLS record right after "HTTP/1.1 200 CONNECTED".
CSTP_CASES = {
    "cstp-bad-magic": lambda: cstp(0x03, magic=b"XTF\x01"),
    "cstp-bad-version": lambda: cstp(0x03, magic=b"STF\x02"),
    "cstp-length-mismatch": lambda: cstp(0x00, b"\x45" + b"\x00" * 3, length=40),
    "cstp-byte7-nonzero": lambda: cstp(0x07, byte7=1),
    "cstp-short": lambda: b"STF",
    "cstp-oversize-length": lambda: cstp(0x00, b"\x45" * 20, length=0xFFFF),
}


def connect_tls(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.check_hostname = True
    raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
    return ctx.wrap_socket(raw, server_hostname=args.host,
                           suppress_ragged_eofs=False)


def read_reply_head(tls, deadline):
    """Read up to the end of an HTTP header block; returns the bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        tls.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = tls.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def webvpn_cookie(value):
    """--authenticate prints 'openconnect_strapkey=...; webvpn=V' or a bare V."""
    for part in value.split(";"):
        part = part.strip()
        if part.startswith("webvpn="):
            return part[len("webvpn="):]
    return value.strip()


def do_connect(tls, args):
    req = (
        "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
        f"Host: {args.host}:{args.port}\r\n"
        "User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
        f"Cookie: webvpn={webvpn_cookie(args.cookie)}\r\n"
        "X-CSTP-Version: 1\r\n"
        "X-CSTP-Hostname: rawtls\r\n"
        "X-CSTP-Base-MTU: 1500\r\n"
        "X-CSTP-MTU: 1400\r\n"
        "X-CSTP-Address-Type: IPv4\r\n"
        "\r\n"
    )
    tls.sendall(req.encode())
    head = read_reply_head(tls, time.monotonic() + args.timeout)
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if not head.startswith(b"HTTP/1.1 200 "):
        print(f"{args.case}: CONNECT refused: {status!r}")
        sys.exit(2)
    return status


def wait_close(tls, args, t0, first):
    """Read until the server ends the connection; returns how it ended."""
    deadline = time.monotonic() + args.timeout
    got = first
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "still open", got
        tls.settimeout(left)
        try:
            chunk = tls.recv(65536)
        except ssl.SSLZeroReturnError:
            return "close_notify", got
        except ssl.SSLEOFError:
            return "eof without close_notify", got
        except (ConnectionResetError, BrokenPipeError):
            return "reset", got
        except (socket.timeout, TimeoutError):
            return "still open", got
        except ssl.SSLError as e:
            return f"tls error ({e.reason})", got
        if not chunk:
            return "close_notify", got
        got += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cookie")
    ap.add_argument("--timeout", type=float, default=8.0)
    ap.add_argument("case", choices=sorted(HTTP_CASES) + sorted(CSTP_CASES))
    args = ap.parse_args()

    try:
        tls = connect_tls(args)
    except (OSError, ssl.SSLError) as e:
        print(f"{args.case}: TLS connection failed: {e}")
        return 2

    t0 = time.monotonic()
    prefix = ""
    try:
        if args.case in CSTP_CASES:
            if not args.cookie:
                print(f"{args.case}: needs --cookie")
                return 2
            prefix = do_connect(tls, args) + " then "
            t0 = time.monotonic()
            tls.sendall(CSTP_CASES[args.case]())
        else:
            tls.sendall(HTTP_CASES[args.case](f"{args.host}:{args.port}"))
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
        # The server may close while we are still sending (huge header).
        ms = int((time.monotonic() - t0) * 1000)
        print(f"{args.case}: {prefix}closed while sending ({e.__class__.__name__}) after {ms} ms")
        return 0

    how, got = wait_close(tls, args, t0, b"")
    ms = int((time.monotonic() - t0) * 1000)
    if args.case in CSTP_CASES:
        # Frames the server sent before closing (e.g. a DISCONNECT).
        frames = []
        i = 0
        while i + 8 <= len(got) and got[i:i + 4] == b"STF\x01":
            n, t = struct.unpack(">HB", got[i + 4:i + 7])
            frames.append(f"type {t:#04x} len {n}")
            i += 8 + n
        reply = prefix + ("frames: " + ", ".join(frames) if frames else "no frames")
    else:
        line = got.split(b"\r\n", 1)[0].decode(errors="replace")
        reply = repr(line) if line else "no reply"
    print(f"{args.case}: {reply}, {how} after {ms} ms")
    return 1 if how == "still open" else 0


if __name__ == "__main__":
    sys.exit(main())
