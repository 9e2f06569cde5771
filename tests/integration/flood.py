#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""flood.py: many connections to the gateway from one address, at once.

  flood.py --host H --port P hold N SECONDS [--sources A,B,...]
      open N plain TCP connections (N from each source address given; no
      TLS handshake, nothing sent) and hold
      them SECONDS; prints "OPENED a CLOSED_EARLY b CLOSED_LATE c
      FIRST_CLOSE_MS m": connections the server closed within --early
      seconds (default 1) of the last connect (refused at once), later (a
      deadline), and when the first of the later ones closed (ms after the
      last connect, -1: none).
  flood.py --host H --port P logins N [--user-len U] [--pass-len W]
          [--ua-len A] [--timeout T]
      N TLS connections at once, each one login (XML auth-reply) with a user
      name of U bytes, a wrong password of W bytes and a User-Agent of A
      bytes; prints "STATUS code:count ..." (code "closed": no reply,
      "error": TLS or TCP failed) and the total time in ms.
Exit 0 once it ran, 2 on bad arguments.
"""

import argparse
import asyncio
import socket
import ssl
import sys
import time


async def hold(args):
    loop = asyncio.get_running_loop()
    socks = []
    sources = args.sources.split(",") if args.sources else [None]
    for i in range(args.n * len(sources)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sources[i % len(sources)] is not None:
            s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(s, (args.host, args.port)), 5)
        except (OSError, asyncio.TimeoutError):
            s.close()
            continue
        socks.append(s)
    t_last = time.monotonic()
    closed = {}
    end = t_last + args.seconds
    while time.monotonic() < end and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                data = s.recv(4096)
                if data == b"":
                    closed[i] = time.monotonic()
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic()
        await asyncio.sleep(0.05)
    early = sum(1 for t in closed.values() if t - t_last <= args.early)
    late = [t for t in closed.values() if t - t_last > args.early]
    first = int((min(late) - t_last) * 1000) if late else -1
    print(f"OPENED {len(socks)} CLOSED_EARLY {early} CLOSED_LATE {len(late)} "
          f"FIRST_CLOSE_MS {first}", flush=True)
    for s in socks:
        s.close()


def login_request(host, args):
    body = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<config-auth client="vpn" type="auth-reply"><version who="vpn">v9.01</version>'
            f'<auth><username>{"u" * args.user_len}</username>'
            f'<password>{"p" * args.pass_len}</password></auth></config-auth>').encode()
    head = (f"POST / HTTP/1.1\r\nHost: {host}\r\n"
            f"User-Agent: {'A' * args.ua_len}\r\n"
            "X-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\n"
            "Content-Type: application/xml; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


async def one_login(args, ctx, req):
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection(args.host, args.port, ssl=ctx), args.timeout)
    except (OSError, ssl.SSLError, asyncio.TimeoutError, EOFError):
        return "error"
    try:
        w.write(req)
        await w.drain()
        line = await asyncio.wait_for(r.readline(), args.timeout)
        parts = line.split()
        return parts[1].decode() if len(parts) >= 2 else "closed"
    except (OSError, ssl.SSLError, asyncio.TimeoutError, EOFError):
        return "closed"
    finally:
        w.close()


async def logins(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = login_request(args.host, args)
    t0 = time.monotonic()
    res = await asyncio.gather(*(one_login(args, ctx, req) for _ in range(args.n)))
    counts = {}
    for x in res:
        counts[x] = counts.get(x, 0) + 1
    print("STATUS " + " ".join(f"{k}:{v}" for k, v in sorted(counts.items())) +
          f" MS {int((time.monotonic() - t0) * 1000)}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("mode", choices=("hold", "logins"))
    ap.add_argument("n", type=int)
    ap.add_argument("seconds", type=float, nargs="?", default=10.0)
    ap.add_argument("--user-len", type=int, default=4096)
    ap.add_argument("--pass-len", type=int, default=4096)
    ap.add_argument("--ua-len", type=int, default=15360)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--early", type=float, default=1.0)
    ap.add_argument("--sources", help="hold: N connections from each of these "
                    "comma-separated local addresses (default: one, the kernel's choice)")
    args = ap.parse_args()
    if args.n < 1:
        return 2
    asyncio.run(hold(args) if args.mode == "hold" else logins(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
