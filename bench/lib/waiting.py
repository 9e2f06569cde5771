#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""waiting.py: many sessions waiting to resume, and what became of them.

  waiting.py create --host H --port P --ca CERT --user U --password PW
                    --count N [--parallel C] [--sources A.B.C.D+K] --out FILE
                    [--no-connect] [--procs P] [--groups LIST]
      N sessions through the real login path, C at a time in one asyncio
      loop: TLS, the aggregate-auth POSTs with the user and password, the
      webvpn cookie, a CONNECT that brings the tunnel up, then the connection
      dropped without a goodbye (no BYE, no close_notify), so that each
      session waits to resume. The source addresses A.B.C.D and the K-1 after
      it are used in turn. FILE gets one JSON line per session: "src",
      "port", "ok", "drop_ms" (wall clock, epoch ms, when the socket was
      closed) or "error". Prints a summary object (ok, failed, errors,
      seconds, rate). --no-connect: the same login, then the connection
      closed normally and no CONNECT (the session stays "authenticated"; the
      record gets "login_ms", and "drop_ms" is the close). --procs P: P
      client processes, C and N split between them. Every handshake is a full
      one (no session tickets); --groups sets the TLS key-exchange groups
      offered (default: the TLS library's).

  waiting.py expiry-modern --log SERVER_LOG --timeout C
      ocserv-modern: for every session, the loss is its worker's log line
      "tunnel ended: reason=tunnel-lost ... session=SID" (the moment the
      server saw the connection go), the end sec-mod's "session SID6 ...
      ended: cookie-expired", both with the server's own millisecond stamps;
      lateness = end - (loss + C). sec-mod names a session by the first 6
      hex digits of its id, which may collide among 100,000: the losses and
      ends of one short id are paired in time order. --start login: the
      deadline runs from sec-mod's "authenticated from ... session SID6"
      line instead (sessions that never CONNECTed). --sample K: only the K
      earliest deadlines. Prints one JSON object.

  waiting.py expiry-poll --drops FILE --polls FILE --timeout C
      A server that logs no expiry (ocserv 1.1.6 at -d 2): FILE of polls has
      "EPOCH_MS COUNT" lines (sessions still listed by occtl after the
      poll that ended at EPOCH_MS). The k-th session to end is matched to
      the k-th deadline (the client's drop times, sorted, + C): with one
      cookie-timeout for all, a server that ends them in deadline order ends
      the k-th at the k-th deadline. Its end is the first poll that shows at
      most N-k sessions (an upper bound; the poll interval is the
      resolution). --sample K: only the K earliest deadlines. Prints one
      JSON object.

  waiting.py report RESULTS.jsonl OUTDIR
      The markdown table of bench/waiting (stdout) and OUTDIR/waiting.json;
      the run's facts come from the R_* variables bench/waiting exports.
"""

import argparse
import asyncio
import ipaddress
import json
import re
import ssl
import sys
import time

# the login's messages and form answers as bench/lib/ocprobe.py (this
# directory) speaks them: one client's way, two transports
from ocprobe import UA, XML_HEAD, ProbeError, init_body, reply  # noqa: E402


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    return head.decode("latin-1")


async def request(reader, writer, args, path, body, jar):
    body = body.encode()
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items() if v)
    req = (f"POST {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
           f"User-Agent: {UA}\r\nX-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\n"
           "Content-Type: application/xml; charset=utf-8\r\n"
           + (f"Cookie: {cookie}\r\n" if cookie else "")
           + f"Content-Length: {len(body)}\r\n\r\n")
    writer.write(req.encode() + body)
    head = await read_head(reader)
    m = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
    text = (await reader.readexactly(int(m.group(1)))).decode("utf-8", "replace") if m else ""
    for c in re.finditer(r"(?im)^set-cookie:\s*([^=;\s]+)=([^;\r\n]*)", head):
        jar[c.group(1)] = c.group(2)
    status = head.split("\r\n", 1)[0]
    if not status.startswith("HTTP/1.1 200"):
        raise ProbeError(f"login: {status}")
    return text


async def login(reader, writer, args):
    """The aggregate-auth exchange (ours asks for both fields at once, ocserv
    1.1.6 for the username, then the password); returns the webvpn cookie."""
    jar = {}
    body = init_body(args)
    path = "/"
    for _ in range(4):
        text = await request(reader, writer, args, path, body, jar)
        if jar.get("webvpn"):
            return jar["webvpn"]
        path, body = reply(text, args)
    raise ProbeError("login: no cookie after 4 rounds")


async def one_session(args, ctx, src):
    rec = {"src": src}
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            args.host, args.port, ssl=ctx, server_hostname=args.host,
            local_addr=(src, 0)), args.timeout)
        rec["port"] = writer.get_extra_info("sockname")[1]
        cookie = await asyncio.wait_for(login(reader, writer, args), args.timeout)
        if args.no_connect:
            # Logged in, not connected: the cookie stays unused in sec-mod
            # ("authenticated"); the login connection is closed as a client
            # does after its last auth POST.
            rec["ok"] = True
            rec["login_ms"] = int(time.time() * 1000)
            writer.close()
            return rec
        writer.write((f"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
                      f"Host: {args.host}:{args.port}\r\nUser-Agent: {UA}\r\n"
                      f"Cookie: webvpn={cookie}\r\n"
                      "X-CSTP-Version: 1\r\nX-CSTP-Hostname: waiting\r\n"
                      "X-CSTP-Base-MTU: 1500\r\nX-CSTP-MTU: 1390\r\n"
                      "X-CSTP-Address-Type: IPv4\r\n\r\n").encode())
        status = (await asyncio.wait_for(read_head(reader), args.timeout)).split("\r\n", 1)[0]
        if not status.startswith("HTTP/1.1 200"):
            raise ProbeError(f"CONNECT: {status}")
        rec["ok"] = True
    except (OSError, ssl.SSLError, ProbeError, asyncio.TimeoutError,
            asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        rec["ok"] = False
        rec["error"] = f"{e.__class__.__name__}: {e}"[:120]
    finally:
        if writer is not None and not (args.no_connect and rec.get("ok")):
            # No BYE, no close_notify: the tunnel is lost, not ended.
            writer.transport.abort()
        rec["drop_ms"] = int(time.time() * 1000)
    return rec


def client_ctx(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    # Every login is a full handshake: no session ticket is kept or offered.
    ctx.options |= ssl.OP_NO_TICKET
    if args.groups:
        # The key exchange the client offers (both servers accept X25519).
        ctx.set_ecdh_curve(args.groups)
    return ctx


async def create(args, first_i=0, count=None, parallel=None, out_path=None):
    ctx = client_ctx(args)
    base, _, k = args.sources.partition("+")
    first = ipaddress.ip_address(base)
    srcs = [str(first + i) for i in range(int(k or 1))]
    count = args.count if count is None else count
    parallel = args.parallel if parallel is None else parallel
    todo = iter(range(first_i, first_i + count))
    out = open(out_path or args.out, "w")
    stats = {"ok": 0, "failed": 0, "errors": {}}

    async def runner():
        for i in todo:
            rec = await one_session(args, ctx, srcs[i % len(srcs)])
            out.write(json.dumps(rec) + "\n")
            if rec["ok"]:
                stats["ok"] += 1
            else:
                stats["failed"] += 1
                e = stats["errors"]
                e[rec["error"]] = e.get(rec["error"], 0) + 1
                await asyncio.sleep(0.05)  # a refusing server is not spun on

    t0 = time.monotonic()
    await asyncio.gather(*(runner() for _ in range(parallel)))
    secs = time.monotonic() - t0
    out.close()
    stats["seconds"] = round(secs, 3)
    stats["rate"] = round(stats["ok"] / secs, 1) if secs > 0 else 0
    return stats


def create_procs(args):
    """--procs P: P client processes (one asyncio loop each, the count and
    the connections in flight split between them), so that the client's TLS
    work is not one core's; FILE is their records, concatenated."""
    import os
    procs = max(1, min(args.procs, args.count, args.parallel))
    t0 = time.monotonic()
    kids, first_i = [], 0
    for p in range(procs):
        cnt = args.count // procs + (1 if p < args.count % procs else 0)
        par = args.parallel // procs + (1 if p < args.parallel % procs else 0)
        part = f"{args.out}.{p}"
        pid = os.fork()
        if pid == 0:
            st = asyncio.run(create(args, first_i, cnt, par, part))
            with open(part + ".stats", "w") as f:
                json.dump(st, f)
            os._exit(0)
        kids.append((pid, part))
        first_i += cnt
    stats = {"ok": 0, "failed": 0, "errors": {}}
    with open(args.out, "w") as out:
        for pid, part in kids:
            os.waitpid(pid, 0)
            try:
                with open(part + ".stats") as f:
                    st = json.load(f)
                with open(part) as f:
                    out.write(f.read())
                os.unlink(part)
                os.unlink(part + ".stats")
            except OSError as e:
                st = {"ok": 0, "failed": 1, "errors": {f"client process: {e}": 1}}
            stats["ok"] += st["ok"]
            stats["failed"] += st["failed"]
            for k, v in st["errors"].items():
                stats["errors"][k] = stats["errors"].get(k, 0) + v
    secs = time.monotonic() - t0
    stats["seconds"] = round(secs, 3)
    stats["rate"] = round(stats["ok"] / secs, 1) if secs > 0 else 0
    stats["procs"] = procs
    print(json.dumps(stats))
    return 0 if stats["failed"] == 0 else 1


def pct(vals, p):
    """Nearest-rank percentile of sorted vals."""
    if not vals:
        return None
    i = max(0, min(len(vals) - 1, int(-(-p * len(vals) // 100)) - 1))
    return vals[i]


def summary(late, extra):
    late.sort()
    d = {"n": len(late), "p50_ms": pct(late, 50), "p99_ms": pct(late, 99),
         "max_ms": late[-1] if late else None, "min_ms": late[0] if late else None}
    d.update(extra)
    print(json.dumps(d))


STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) ")


def stamp_ms(line):
    m = STAMP.match(line)
    if not m:
        return None
    t = time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
    return (int(time.mktime(t)) * 1000) + int(m.group(2))


def expiry_modern(args):
    waits, ends = {}, {}
    other_ends = 0
    if args.start == "login":
        # logged in, not connected: the deadline runs from the login
        rw = re.compile(r"authenticated from \S+: session (\w+)")
    else:
        rw = re.compile(r"tunnel ended: reason=\S+ user=\S+ session=(\w+) ")
    re_ = re.compile(r"session (\w+) of user '[^']*' ended: (\S+)")
    with open(args.log, errors="replace") as f:
        for line in f:
            m = rw.search(line)
            if m:
                waits.setdefault(m.group(1)[:6], []).append(stamp_ms(line))
                continue
            m = re_.search(line)
            if m:
                if m.group(2) != "cookie-expired":
                    other_ends += 1
                    continue
                ends.setdefault(m.group(1), []).append(stamp_ms(line))
    first_end = min((t for v in ends.values() for t in v), default=None)
    pairs = []
    for sid, ws in waits.items():
        ws = sorted(w for w in ws if w is not None)
        es = sorted(e for e in ends.get(sid, []) if e is not None)
        pairs += [(w, es[i] if i < len(es) else None) for i, w in enumerate(ws)]
    # --sample K: the K earliest deadlines only (a bounded wait); two
    # short ids alike, logged in the same millisecond, may pair an end
    # with one and none with the other: order by the start alone
    pairs.sort(key=lambda p: p[0])
    if args.sample:
        pairs = pairs[:args.sample]
    late = [e - (w + args.timeout * 1000) for w, e in pairs if e is not None]
    summary(late, {"waiting": sum(len(v) for v in waits.values()),
                   "sampled": len(pairs), "not_ended": len(pairs) - len(late),
                   "other_ends": other_ends, "first_end_ms": first_end})


def expiry_poll(args):
    drops = []
    with open(args.drops) as f:
        for line in f:
            r = json.loads(line)
            if r.get("ok"):
                drops.append(r["drop_ms"])
    drops.sort()
    polls = []
    with open(args.polls) as f:
        for line in f:
            p = line.split()
            if len(p) == 2 and p[1].isdigit():
                polls.append((int(p[0]), int(p[1])))
    polls.sort()
    n0 = max((c for _, c in polls), default=0)
    n = min(n0, len(drops))
    if args.sample:
        n = min(n, args.sample)
    late, j = [], 0
    first_end = None
    for k in range(n):
        # the first poll showing at most n0 - k - 1 sessions
        while j < len(polls) and polls[j][1] > n0 - k - 1:
            j += 1
        if j == len(polls):
            break
        if first_end is None:
            first_end = polls[j][0]
        late.append(polls[j][0] - (drops[k] + args.timeout * 1000))
    gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:])]
    summary(late, {"waiting": n0, "sampled": n, "not_ended": n - len(late), "first_end_ms": first_end,
                   "poll_interval_ms": pct(sorted(gaps), 50) if gaps else None})


ROWS = [
    ("waiting.login_rate", "login rate (TLS, password, cookie, CONNECT, drop)", "sessions/s", None),
    ("waiting.pss.sec-mod", "sec-mod PSS per waiting session, (after-before)/N", "B", "<= 4096 B"),
    ("waiting.pss.main", "main PSS per waiting session", "B", None),
    ("waiting.pss.total", "all server processes, PSS per waiting session", "B", None),
    ("waiting.pss_after.sec-mod", "sec-mod PSS with N waiting", "MiB", None),
    ("waiting.pss_after.main", "main PSS with N waiting", "MiB", None),
    ("waiting.pss_after.total", "all server processes, PSS with N waiting", "MiB", None),
    ("waiting.late.p50", "expiry: end - (loss + cookie-timeout), p50", "s", None),
    ("waiting.late.p99", "expiry lateness, p99", "s", "<= 1 s"),
    ("waiting.late.max", "expiry lateness, max", "s", None),
    ("waiting.occtl", "session listing with N waiting, wall time", "ms", None),
]


# --no-connect: the same figures for sessions that logged in and never
# CONNECTed (state "authenticated"): labelled so that nobody takes them for
# sessions waiting to resume.
ROWS_NC = [
    ("waiting.login_rate", "login rate (TLS, password, cookie, close; no CONNECT)", "logins/s", None),
    ("waiting.pss.sec-mod", "sec-mod PSS per logged-in, not-connected session, (after-before)/N", "B",
     "<= 4096 B"),
    ("waiting.pss.main", "main PSS per logged-in, not-connected session", "B", None),
    ("waiting.pss.total", "all server processes, PSS per logged-in, not-connected session", "B", None),
    ("waiting.pss_after.sec-mod", "sec-mod PSS with N logged in, not connected", "MiB", None),
    ("waiting.pss_after.main", "main PSS with N logged in, not connected", "MiB", None),
    ("waiting.pss_after.total", "all server processes, PSS with N logged in, not connected", "MiB", None),
    ("waiting.late.p50", "expiry: end - (login + cookie-timeout), p50", "s", None),
    ("waiting.late.p99", "expiry lateness (logged in, not connected), p99", "s", "<= 1 s"),
    ("waiting.late.max", "expiry lateness (logged in, not connected), max", "s", None),
    ("waiting.occtl", "session listing with N logged in, not connected, wall time", "ms", None),
]


def cell(vals):
    if not vals:
        return "-"
    v = sorted(vals)
    med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    big = max(abs(x) for x in v)
    if all(float(x).is_integer() for x in v) or big >= 100:
        def f(x):
            return f"{x:.0f}"
    else:
        def f(x):
            return f"{x:.3f}" if big < 10 else f"{x:.1f}"
    if len(v) == 1:
        return f(med)
    return f"{f(med)} ({f(v[0])}-{f(v[-1])}) n={len(v)}"


def report(args):
    import os
    vals, nas, notes, metas, runs = {}, {}, {}, {}, []
    for line in open(args.results):
        r = json.loads(line)
        if "scenario" in r:
            runs.append(r)
        elif "meta" in r:
            metas.setdefault(r["server"], {})[r["meta"]] = r["value"]
        elif "na" in r:
            nas[(r["id"], r["server"])] = r["na"]
        else:
            vals.setdefault((r["id"], r["server"]), []).append(r["value"])
            if r.get("note"):
                notes[(r["id"], r["server"])] = r["note"]
    e = os.environ
    out = []
    out.append(f"- Date: {e.get('R_DATE_START')} to {e.get('R_DATE_END')} ({e.get('R_SECONDS')} s)")
    out.append(f"- Machine: {e.get('R_HOST')}; load average at start {e.get('R_LOAD_START')}, "
               f"at end {e.get('R_LOAD_END')}")
    out.append(f"- Versions: {e.get('R_OURS')} ({e.get('R_GIT')}); {e.get('R_OCSERV')}")
    out.append(f"- N = {e.get('R_N')} sessions, cookie-timeout {e.get('R_C')} s, "
               f"{e.get('R_PAR')} logins in flight ({e.get('R_PROCS')} client processes) from {e.get('R_NSRC')} source addresses; ours with "
               f"keep-tun-on-resume = {e.get('R_KEEP_TUN')}")
    nc = e.get("R_NO_CONNECT") == "true"
    if nc:
        out.append("- **Logged in, not connected** (--no-connect): every session made with a full login "
                   "and no CONNECT, left in state \"authenticated\" (no tunnel, lease or device); "
                   "NOT sessions waiting to resume")
    if e.get("R_SAMPLE", "0") != "0":
        out.append(f"- Expiry lateness over the first {e.get('R_SAMPLE')} deadlines only "
                   "(--expire-sample; the notes give the count)")
    out.append("- Cells: median (min-max) n=repetitions where repeated")
    out.append("")
    out.append("| Figure | Unit | ocserv-modern | ocserv 1.1.6 | Target (ours) | Met |")
    out.append("|---|---|---|---|---|---|")
    for fid, label, unit, target in (ROWS_NC if nc else ROWS):
        cells = []
        for srv in ("modern", "ocserv"):
            if (fid, srv) in vals:
                cells.append(cell(vals[(fid, srv)]))
            elif (fid, srv) in nas:
                cells.append("n/a: " + nas[(fid, srv)][:80])
            else:
                cells.append("-")
        met = "-"
        mv = vals.get((fid, "modern"))
        if target and mv:
            lim = float(target.split()[1])
            met = "met" if max(mv) <= lim else "**NOT met**"
        out.append(f"| {fid}: {label} | {unit} | {cells[0]} | {cells[1]} | {target or '-'} | {met} |")
    out.append("")
    for srv in ("modern", "ocserv"):
        by_note = {}
        for (k, s), v in sorted(notes.items()):
            if s == srv:
                by_note.setdefault(v, []).append(k)
        ns = [f"{', '.join(ks)}: {v}" for v, ks in by_note.items()]
        ms = [f"{k} = {v}" for k, v in sorted(metas.get(srv, {}).items())]
        if ns or ms:
            out.append(f"- {srv}: " + "; ".join(ms + ns))
    for r in runs:
        if r["rc"] != 0:
            out.append(f"- {r['server']}: the scenario exited {r['rc']} (see {r['log']})")
    print("\n".join(out))
    json.dump({"run": {k[2:].lower(): v for k, v in e.items() if k.startswith("R_")},
               "values": {f"{k}|{s}": v for (k, s), v in vals.items()},
               "na": {f"{k}|{s}": v for (k, s), v in nas.items()},
               "notes": {f"{k}|{s}": v for (k, s), v in notes.items()},
               "meta": metas, "runs": runs},
              open(os.path.join(args.outdir, "waiting.json"), "w"), indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--ca", required=True)
    c.add_argument("--user", default="test")
    c.add_argument("--password", default="test")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--parallel", type=int, default=32)
    c.add_argument("--sources", default="0.0.0.0")
    c.add_argument("--timeout", type=float, default=60.0)
    c.add_argument("--no-connect", action="store_true")
    c.add_argument("--procs", type=int, default=1)
    c.add_argument("--groups", default="")
    c.add_argument("--out", required=True)
    m = sub.add_parser("expiry-modern")
    m.add_argument("--log", required=True)
    m.add_argument("--timeout", type=int, required=True)
    m.add_argument("--start", choices=("loss", "login"), default="loss")
    m.add_argument("--sample", type=int, default=0)
    p = sub.add_parser("expiry-poll")
    p.add_argument("--drops", required=True)
    p.add_argument("--polls", required=True)
    p.add_argument("--timeout", type=int, required=True)
    p.add_argument("--sample", type=int, default=0)
    r = sub.add_parser("report")
    r.add_argument("results")
    r.add_argument("outdir")
    args = ap.parse_args()
    if args.cmd == "report":
        return report(args)
    if args.cmd == "create":
        return create_procs(args)
    if args.cmd == "expiry-modern":
        return expiry_modern(args)
    return expiry_poll(args)


if __name__ == "__main__":
    sys.exit(main())
