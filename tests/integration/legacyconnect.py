#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""legacyconnect.py: a CONNECT with Cisco's legacy DTLS offer, for the tests.

It opens one TLS connection to the gateway and sends the CONNECT an
AnyConnect client sends (no PSK-NEGOTIATE; X-DTLS-CipherSuite,
X-DTLS12-CipherSuite and an X-DTLS-Master-Secret chosen by the test, which
may be malformed), prints the reply's status line and every X-DTLS-*
header, then proves the tunnel works over TLS: it sends an ICMP echo
request from the address the reply gave to --ping as a CSTP DATA frame and
waits for the echo reply in a CSTP DATA frame.

  legacyconnect.py --host H --port P --ca CERT --cookie C --ping ADDR
                   [--master HEX] [--no-master]

Output, one item a line:
  status: HTTP/1.1 200 CONNECTED
  header: X-DTLS-...: value          (each X-DTLS-* header, in order)
  address: A.B.C.D
  ping: answered in N ms | ping: no answer
Exit status: 0 the echo came back over TLS, 1 it did not, 2 the test could
not run (TLS failed, CONNECT refused, bad arguments).
"""

import argparse
import socket
import ssl
import struct
import sys
import time

# AnyConnect 4.x's offers (no PSK-NEGOTIATE).
CS = "AES256-SHA:AES128-SHA"
CS12 = "ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384:AES256-SHA"


def webvpn_cookie(value):
    """--authenticate prints 'openconnect_strapkey=...; webvpn=V' or a bare V."""
    for part in value.split(";"):
        part = part.strip()
        if part.startswith("webvpn="):
            return part[len("webvpn="):]
    return value.strip()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_echo(src, dst, ident, seq):
    payload = b"legacy-dtls-test" * 4
    icmp = struct.pack(">BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack(">H", checksum(icmp)) + icmp[4:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack(">H", checksum(ip)) + ip[12:]
    return ip + icmp


def cstp_data(packet):
    return b"STF\x01" + struct.pack(">HBB", len(packet), 0, 0) + packet


def read_head(tls, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
        tls.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = tls.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode(errors="replace"), rest


def wait_echo_reply(tls, rest, ident, seq, deadline):
    """Read CSTP frames until a DATA frame holds our echo reply."""
    buf = rest
    while time.monotonic() < deadline:
        while len(buf) >= 8 and buf[:4] == b"STF\x01":
            n, ptype = struct.unpack(">HB", buf[4:7])
            if len(buf) < 8 + n:
                break
            pkt, buf = buf[8:8 + n], buf[8 + n:]
            if ptype == 0 and len(pkt) >= 28 and pkt[9] == 1:
                hl = (pkt[0] & 0x0F) * 4
                t, _, _, i, s = struct.unpack(">BBHHH", pkt[hl:hl + 8])
                if t == 0 and i == ident and s == seq:
                    return True
        tls.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = tls.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        if not chunk:
            return False
        buf += chunk
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cookie", required=True)
    ap.add_argument("--ping", required=True)
    ap.add_argument("--master", default="00" * 48)
    ap.add_argument("--no-master", action="store_true")
    ap.add_argument("--timeout", type=float, default=8.0)
    args = ap.parse_args()

    ctx = ssl.create_default_context(cafile=args.ca)
    try:
        raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
        tls = ctx.wrap_socket(raw, server_hostname=args.host)
    except (OSError, ssl.SSLError) as e:
        print(f"TLS connection failed: {e}")
        return 2
    req = (
        "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
        f"Host: {args.host}:{args.port}\r\n"
        "User-Agent: Cisco AnyConnect VPN Agent for Windows 4.10.07073\r\n"
        f"Cookie: webvpn={webvpn_cookie(args.cookie)}\r\n"
        "X-CSTP-Version: 1\r\n"
        "X-CSTP-Hostname: legacyconnect\r\n"
        "X-CSTP-Base-MTU: 1500\r\n"
        "X-CSTP-MTU: 1400\r\n"
        "X-CSTP-Address-Type: IPv4\r\n"
        + ("" if args.no_master else f"X-DTLS-Master-Secret: {args.master}\r\n") +
        f"X-DTLS-CipherSuite: {CS}\r\n"
        f"X-DTLS12-CipherSuite: {CS12}\r\n"
        "\r\n"
    )
    tls.sendall(req.encode())
    head, rest = read_head(tls, time.monotonic() + args.timeout)
    lines = head.split("\r\n")
    print(f"status: {lines[0]}")
    if not lines[0].startswith("HTTP/1.1 200 "):
        return 2
    address = None
    for line in lines[1:]:
        if line.startswith("X-DTLS"):
            print(f"header: {line}")
        if line.startswith("X-CSTP-Address: ") and ":" not in line[16:]:
            address = line[16:]
    print(f"address: {address}")
    if address is None:
        return 2
    t0 = time.monotonic()
    tls.sendall(cstp_data(icmp_echo(address, args.ping, 0x4c44, 1)))
    if wait_echo_reply(tls, rest, 0x4c44, 1, t0 + args.timeout):
        print(f"ping: answered in {int((time.monotonic() - t0) * 1000)} ms")
        return 0
    print("ping: no answer")
    return 1


if __name__ == "__main__":
    sys.exit(main())
