#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ocprobe.py: a small OpenConnect-protocol client for the benchmarks.

It speaks just enough of the protocol (doc/spec/interop.md 1.2, 2.1) to time the
server and to leave sessions behind, without a tun device:

  ocprobe.py COMMON connect --cookie C
      one TLS connection, CONNECT with the cookie, read the reply head, then
      drop the connection without a goodbye (no BYE, no close_notify): the
      server sees the tunnel lost, and keeps the session resumable.
      Prints one JSON object: {"ok", "status", "local_port", "tcp_ms",
      "tls_ms", "reply_ms"}; reply_ms is from the start of the TCP connect to
      the last byte of the reply head (client clock, time.monotonic).

  ocprobe.py COMMON sessions N [--parallel P]
      N logins, each followed by a CONNECT on the same TLS connection and a
      drop as above: N sessions waiting to resume. Prints {"ok", "failed",
      "errors", "seconds"}.

  ocprobe.py COMMON logins --parallel P --seconds S
      P threads, each logging in again and again for S seconds: a fresh TLS
      connection, the login, a CONNECT with the new cookie, then a CSTP
      DISCONNECT (the BYE openconnect sends on logout), so the session ends
      and nothing piles up on the server. Prints one JSON object per
      attempt: {"t0", "t1"} (time.monotonic of its start and end, the
      system's CLOCK_MONOTONIC, comparable between processes), "ok", "ms"
      (TCP connect start to the last byte of the CONNECT reply head),
      "tls_ms", "cookie_ms" and, for a failure, "error".

COMMON: --host H --port P --ca CERT [--user U --password PW] [--timeout S]
        [--ecdh-curve NAME]
--ecdh-curve makes NAME (an OpenSSL curve name, e.g. prime256v1) the client's
only key-exchange group, so its first ClientHello carries a key share for it.
Without it Python's OpenSSL sends a share for X25519 alone; a server that
prefers P-256 (GnuTLS "NORMAL:%SERVER_PRECEDENCE", ocserv's and our default)
then answers with a HelloRetryRequest: one more round trip that openconnect,
whose GnuTLS sends shares for P-256 and X25519, does not make.
Exit status: 0 all went well, 1 some attempt failed, 2 bad usage.
"""

import argparse
import concurrent.futures
import json
import re
import socket
import ssl
import sys
import threading
import time

UA = "Open AnyConnect VPN Agent v9.01-3"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


class ProbeError(Exception):
    pass


def tls_connect(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.check_hostname = True
    if args.ecdh_curve:
        ctx.set_ecdh_curve(args.ecdh_curve)
    t0 = time.monotonic()
    raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
    # As openconnect does: a small request must not wait for the ACK of the
    # handshake's last flight (Nagle against delayed ACK: 40 ms).
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t_tcp = time.monotonic()
    tls = ctx.wrap_socket(raw, server_hostname=args.host)
    t_tls = time.monotonic()
    return tls, t0, t_tcp, t_tls


def read_head(tls):
    """The HTTP head (status line and headers) and any bytes after it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = tls.recv(16384)
        if not chunk:
            raise ProbeError("connection closed before the reply head ended")
        buf += chunk
        if len(buf) > 1 << 20:
            raise ProbeError("reply head too long")
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def read_response(tls):
    head, rest = read_head(tls)
    m = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        chunk = tls.recv(16384)
        if not chunk:
            raise ProbeError("connection closed inside a reply body")
        rest += chunk
    return head, rest[:n].decode("utf-8", "replace")


def status_of(head):
    return head.split("\r\n", 1)[0]


def cookies_of(head):
    """name -> value of every Set-Cookie of a reply head."""
    out = {}
    for m in re.finditer(r"(?im)^set-cookie:\s*([^=;\s]+)=([^;\r\n]*)", head):
        out[m.group(1)] = m.group(2)
    return out


def post(tls, args, path, body, jar):
    body = body.encode()
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items() if v)
    req = (f"POST {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
           f"User-Agent: {UA}\r\nX-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\n"
           "Content-Type: application/xml; charset=utf-8\r\n"
           + (f"Cookie: {cookie}\r\n" if cookie else "")
           + f"Content-Length: {len(body)}\r\n\r\n")
    tls.sendall(req.encode() + body)
    head, text = read_response(tls)
    jar.update(cookies_of(head))
    return head, text


def form_answer(text, args):
    """The <auth> children answering the form of an auth-request."""
    out = []
    for m in re.finditer(r"<input\b([^>]*)>", text):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind in ("submit", "reset"):
            continue
        if kind == "password":
            value = args.password
        elif kind == "hidden":
            value = attrs.get("value", "")
        else:
            value = args.user if name == "username" else attrs.get("value", "")
        out.append(f"<{name}>{value}</{name}>")
    return "".join(out)


def init_body(args):
    """The first aggregate-auth POST, as openconnect 9.01 sends it."""
    url = f"https://{args.host}:{args.port}/"
    return (XML_HEAD + '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
            '<version who="vpn">v9.01-3</version><device-id>linux-64</device-id>'
            f'<group-access>{url}</group-access></config-auth>')


def reply(text, args):
    """(path, body) of the POST answering the auth-request form in text."""
    m = re.search(r'<form[^>]*action="([^"]*)"', text)
    opaque = re.search(r"<opaque.*?</opaque>", text, re.S)
    return (m.group(1) if m and m.group(1) else "/",
            XML_HEAD + '<config-auth client="vpn" type="auth-reply" '
            'aggregate-auth-version="2"><version who="vpn">v9.01-3</version>'
            '<device-id>linux-64</device-id>'
            + (opaque.group(0) if opaque else "")
            + f"<auth>{form_answer(text, args)}</auth></config-auth>")


def login(tls, args):
    """The aggregate-auth exchange on an open connection (ours asks for both
    fields at once, ocserv 1.1.6 for the username, then the password);
    returns the webvpn cookie."""
    jar = {}
    body = init_body(args)
    path = "/"
    for _ in range(4):
        head, text = post(tls, args, path, body, jar)
        if not status_of(head).startswith("HTTP/1.1 200"):
            raise ProbeError(f"login: {status_of(head)}")
        if jar.get("webvpn"):
            return jar["webvpn"]
        path, body = reply(text, args)
    raise ProbeError("login: no cookie after 4 rounds")


def connect(tls, args, cookie):
    req = ("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
           f"Host: {args.host}:{args.port}\r\nUser-Agent: {UA}\r\n"
           f"Cookie: webvpn={cookie}\r\n"
           "X-CSTP-Version: 1\r\nX-CSTP-Hostname: ocprobe\r\n"
           "X-CSTP-Base-MTU: 1500\r\nX-CSTP-MTU: 1390\r\n"
           "X-CSTP-Address-Type: IPv4\r\n\r\n")
    tls.sendall(req.encode())
    head, _ = read_head(tls)
    return status_of(head)


def drop(tls):
    """End the connection with neither BYE nor close_notify: a lost tunnel."""
    try:
        tls.close()
    except OSError:
        pass


def bye(tls):
    """A CSTP DISCONNECT (reason 0xb0, user request), then the close: the
    session ends as on openconnect's logout."""
    text = b"\xb0ocprobe logout"
    try:
        tls.sendall(b"STF\x01" + len(text).to_bytes(2, "big") + b"\x05\x00" + text)
    except OSError:
        pass
    drop(tls)


def webvpn_value(c):
    """openconnect --authenticate prints 'webvpn=V', 'a=b; webvpn=V' or V."""
    for part in c.split(";"):
        part = part.strip()
        if part.startswith("webvpn="):
            return part[len("webvpn="):]
    return c.strip()


def cmd_connect(args):
    tls, t0, t_tcp, t_tls = tls_connect(args)
    port = tls.getsockname()[1]
    try:
        status = connect(tls, args, webvpn_value(args.cookie))
        t_reply = time.monotonic()
    finally:
        drop(tls)
    ok = status.startswith("HTTP/1.1 200")
    print(json.dumps({
        "ok": ok, "status": status, "local_port": port,
        "tcp_ms": round((t_tcp - t0) * 1000, 3),
        "tls_ms": round((t_tls - t0) * 1000, 3),
        "reply_ms": round((t_reply - t0) * 1000, 3)}))
    return 0 if ok else 1


def one_session(args):
    tls, _, _, _ = tls_connect(args)
    try:
        cookie = login(tls, args)
        status = connect(tls, args, cookie)
        if not status.startswith("HTTP/1.1 200"):
            raise ProbeError(f"CONNECT: {status}")
    finally:
        drop(tls)


def cmd_sessions(args):
    t0 = time.monotonic()
    ok = failed = 0
    errors = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
        futs = [pool.submit(one_session, args) for _ in range(args.count)]
        for f in concurrent.futures.as_completed(futs):
            try:
                f.result()
                ok += 1
            except (OSError, ssl.SSLError, ProbeError) as e:
                failed += 1
                key = f"{e.__class__.__name__}: {e}"[:120]
                errors[key] = errors.get(key, 0) + 1
    print(json.dumps({"ok": ok, "failed": failed, "errors": errors,
                      "seconds": round(time.monotonic() - t0, 3)}))
    return 0 if failed == 0 else 1


def one_login(args):
    """One login and CONNECT; returns the attempt's record."""
    rec = {"t0": time.monotonic()}
    tls = None
    up = False
    try:
        tls, t0, _, t_tls = tls_connect(args)
        rec["tls_ms"] = round((t_tls - t0) * 1000, 3)
        cookie = login(tls, args)
        rec["cookie_ms"] = round((time.monotonic() - t0) * 1000, 3)
        status = connect(tls, args, cookie)
        if not status.startswith("HTTP/1.1 200"):
            raise ProbeError(f"CONNECT: {status}")
        up = True
        rec["ms"] = round((time.monotonic() - t0) * 1000, 3)
        rec["ok"] = True
    except (OSError, ssl.SSLError, ProbeError) as e:
        rec["ok"] = False
        rec["error"] = f"{e.__class__.__name__}: {e}"[:120]
    finally:
        if up:
            bye(tls)
        elif tls is not None:
            drop(tls)
    rec["t1"] = time.monotonic()
    return rec


def cmd_logins(args):
    end = time.monotonic() + args.seconds
    out = []

    def loop():
        while time.monotonic() < end:
            rec = one_login(args)
            out.append(rec)  # list.append is atomic under the GIL
            if not rec["ok"]:
                time.sleep(0.05)  # a refusing server is not spun on

    threads = [threading.Thread(target=loop) for _ in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rec in out:
        print(json.dumps(rec))
    return 0 if all(r["ok"] for r in out) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", default="test")
    ap.add_argument("--password", default="test")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--ecdh-curve", default=None)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("connect")
    c.add_argument("--cookie", required=True)
    s = sub.add_parser("sessions")
    s.add_argument("count", type=int)
    s.add_argument("--parallel", type=int, default=8)
    g = sub.add_parser("logins")
    g.add_argument("--parallel", type=int, default=4)
    g.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    cmds = {"connect": cmd_connect, "sessions": cmd_sessions, "logins": cmd_logins}
    try:
        return cmds[args.cmd](args)
    except (OSError, ssl.SSLError, ProbeError) as e:
        print(json.dumps({"ok": False, "error": f"{e.__class__.__name__}: {e}"}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
