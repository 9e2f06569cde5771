#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tlshold.py: hold a connection to the gateway open at one stage, idle.

  tlshold.py --host H --port P [--tls12] MODE SECONDS

MODE:
  tcp             connect, send nothing
  mid-handshake   send the ClientHello, wait for the server's first flight
                  (its signature included), then go silent: the worker stays
                  in its handshake
  after-handshake complete the TLS handshake, then send nothing
Prints "PORT <local port>" once the stage is reached (stdout flushed), then
holds the connection SECONDS and exits 0; exit 2 when the stage could not be
reached.
"""

import argparse
import select
import socket
import ssl
import sys
import time


def context(tls12):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls12", action="store_true")
    ap.add_argument("mode", choices=("tcp", "mid-handshake", "after-handshake"))
    ap.add_argument("seconds", type=float)
    a = ap.parse_args()

    sock = socket.create_connection((a.host, a.port), timeout=10)
    port = sock.getsockname()[1]
    conn = sock
    if a.mode == "after-handshake":
        conn = context(a.tls12).wrap_socket(sock)
    elif a.mode == "mid-handshake":
        # The ClientHello from memory BIOs, sent by hand: TLS never sees the
        # server's flight, so the client cannot finish the handshake however
        # fast the worker answers (a worker forked by the zygote can answer
        # before a non-blocking client's first read).
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context(a.tls12).wrap_bio(incoming, outgoing)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        sock.sendall(outgoing.read())
        if not select.select([sock], [], [], 10)[0]:
            print("mid-handshake: no answer to the ClientHello", file=sys.stderr)
            return 2
    print(f"PORT {port}", flush=True)
    time.sleep(a.seconds)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
