#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""keyscan.py: look for a private key in the memory of running processes.

  keyscan.py --key server-key.pem PID [PID ...]

The needles, all taken from the key file:
  - every base64 line of its PEM text (64 characters);
  - 16-byte windows, every 8 bytes, of each secret number (the RSA private
    exponent, primes, CRT exponents and coefficient; the EC private scalar),
    big-endian and little-endian (GnuTLS/nettle keep numbers as
    little-endian limbs);
The numbers come from `openssl pkey -text`. (Not the key's DER: it holds
the public key too, which every worker has in its certificate.)

Each PID's readable mappings (/proc/PID/maps) are read through /proc/PID/mem
(root). One line per PID: "PID (comm): N hits [kinds]". Exit status: 0 when no
PID holds any needle (a hit counts one needle found in one mapping), 1 when one does, 2 on errors (unreadable key, a process
that could not be read at all).
"""

import argparse
import base64
import re
import subprocess
import sys

WINDOW = 16
STEP = 8
# `openssl pkey -text` names of the secret numbers (RSA, EC).
SECRET_FIELDS = {"privateExponent", "prime1", "prime2", "exponent1", "exponent2",
                 "coefficient", "priv"}


def secret_numbers(key):
    """{name: big-endian bytes} of the key's secret numbers."""
    text = subprocess.run(["openssl", "pkey", "-in", key, "-text", "-noout"],
                          check=True, capture_output=True, text=True).stdout
    out, name, hexs = {}, None, []
    for line in text.splitlines():
        field = re.match(r"^([A-Za-z0-9]+):\s*$", line)
        if field or not line.startswith(" "):
            if name in SECRET_FIELDS and hexs:
                out[name] = bytes.fromhex("".join(hexs)).lstrip(b"\0")
            name, hexs = (field.group(1) if field else None), []
            continue
        if name is not None:
            hexs.append(line.strip().replace(":", ""))
    if name in SECRET_FIELDS and hexs:
        out[name] = bytes.fromhex("".join(hexs)).lstrip(b"\0")
    return out


def windows(data):
    return [data[i:i + WINDOW] for i in range(0, len(data) - WINDOW + 1, STEP)]


def needles(key):
    """[(bytes, kind)]"""
    found = []
    with open(key, "rb") as f:
        pem = f.read()
    for line in pem.splitlines():
        if len(line) >= 48 and not line.startswith(b"-----"):
            found.append((line, "pem-text"))
    for name, num in secret_numbers(key).items():
        for w in windows(num):
            found.append((w, name + "-be"))
        for w in windows(num[::-1]):
            found.append((w, name + "-le"))
    if not any(k != "pem-text" for _, k in found):
        raise ValueError("no secret numbers found in the key")
    return found


def regions(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5] if len(parts) > 5 else ""
            if "r" not in parts[1] or path in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            yield lo, hi, path


def scan(pid, kinds):
    """(hits, {kind}, regions read)"""
    hits, seen, nread = 0, set(), 0
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for lo, hi, _ in regions(pid):
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            nread += 1
            for needle, kind in kinds.items():
                if data.find(needle) >= 0:
                    hits += 1
                    seen.add(kind)
    return hits, seen, nread


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("pids", nargs="+", type=int)
    a = ap.parse_args()
    try:
        ns = needles(a.key)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"keyscan: {a.key}: {e}", file=sys.stderr)
        return 2
    kinds = {}
    for n, k in ns:
        kinds.setdefault(n, k)
    rc = 0
    for pid in a.pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            hits, seen, nread = scan(pid, kinds)
        except OSError as e:
            print(f"{pid}: cannot read: {e}")
            rc = 2
            continue
        if nread == 0:
            print(f"{pid} ({comm}): no readable memory")
            rc = 2
            continue
        print(f"{pid} ({comm}): {hits} hits in {nread} regions"
              f"{' [' + ', '.join(sorted(seen)) + ']' if seen else ''}")
        if hits and rc == 0:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
