#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scale runs (bench/scale): analysis of one run and the report of all.

  scale.py analyze --server S --n N --json OCLOAD.json --log SERVER.log
                   --start-ms MS --dpd D
      ocload's per-client JSON lines and the server's log -> result lines
      (the format of bench/lib/common.sh) on stdout: login rate, DPD
      accuracy of the frozen clients, the resume storm.
  scale.py report RESULTS.jsonl RUN.json OUTDIR
      the markdown table on stdout, OUTDIR/scale.json, OUTDIR/scale.png
      (gnuplot: memory and idle CPU against tunnels, both servers).
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

SERVERS = ("modern", "ocserv")


def pct(vals, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(vals)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def line_ms(line):
    """Epoch ms of a log line's stamp ("YYYY-MM-DD HH:MM:SS.mmm", UTC)."""
    try:
        t = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        return None
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def out(server, fid, value, unit, note="", rep=1):
    print(json.dumps({"id": fid, "server": server, "value": round(value, 6), "unit": unit,
                      "rep": rep, "note": note}))


def na(server, fid, why):
    print(json.dumps({"id": fid, "server": server, "na": why}))


def login_figures(a, rows, P):
    up = [r for r in rows if r["connects"] >= 1]
    out(a.server, P + ".up", len(up), "clients", f"of {len(rows)}")
    if len(up) < 2:
        na(a.server, P + ".login_rate", "fewer than 2 clients up")
        return
    first = min(r["start_ms"] + r["up_at_ms"] - r["connect_ms"] for r in up)
    last = max(r["start_ms"] + r["up_at_ms"] for r in up)
    out(a.server, P + ".login_rate", len(up) * 1000.0 / max(1, last - first), "clients/s",
        f"{len(up)} up in {(last - first) / 1000:.1f} s (ramp is a cap)")
    out(a.server, P + ".connect_p50", pct([r["connect_ms"] for r in up], 50), "ms")
    out(a.server, P + ".connect_p99", pct([r["connect_ms"] for r in up], 99), "ms")


def dpd_ends(a, src):
    """(line stamp ms, last-rx-ago ms or None) of each DPD tunnel end of src."""
    ip = re.escape(src)
    if a.server == "modern":
        rx = re.compile(r"tunnel ended: reason=dpd-timeout .* client=" + ip +
                        r" .*last rx (\d+) ms ago")
    else:
        rx = re.compile(r" " + ip + r"(:\d+)? connection timeout \(DPD\)")
    ends = []
    for line in a.loglines:
        m = rx.search(line)
        if m:
            t = line_ms(line)
            if t is not None:
                ago = int(m.group(1)) if a.server == "modern" else None
                ends.append((t, ago))
    return ends


def dpd_figures(a, rows, P):
    frozen = [r for r in rows if r["frozen_at_ms"] >= 0 and r["thawed_at_ms"] < 0]
    if not frozen:
        na(a.server, P + ".dpd_freeze", "no frozen client")
        return
    since_freeze, since_rx, missing = [], [], 0
    for r in frozen:
        t_freeze = r["start_ms"] + r["frozen_at_ms"]
        ends = [e for e in dpd_ends(a, r["source"]) if e[0] >= t_freeze - 50]
        if not ends:
            missing += 1
            continue
        since_freeze.append(ends[0][0] - t_freeze)
        if ends[0][1] is not None:
            since_rx.append(ends[0][1])
    note = f"{len(since_freeze)} of {len(frozen)} frozen clients ended by DPD"
    if missing:
        note += f", {missing} NOT within the run"
    if not since_freeze:
        na(a.server, P + ".dpd_freeze_p50", "no DPD end logged: " + note)
        return
    for p in (50, 99, 100):
        name = "max" if p == 100 else f"p{p}"
        out(a.server, f"{P}.dpd_freeze_{name}", pct(since_freeze, p) / 1000.0, "s", note)
    for p in (50, 99, 100):
        name = "max" if p == 100 else f"p{p}"
        if since_rx:
            out(a.server, f"{P}.dpd_lastrx_{name}", pct(since_rx, p) / 1000.0, "s", note)


def readdressed(a, rows):
    """How many of rows (clients) the server gave a different tunnel address
    on a later connection: libopenconnect ends a session whose reconnect
    brings another address. From ocserv's "SRC sending IPv4 ADDR" lines;
    None for ours (it keeps a waiting session's lease)."""
    if a.server != "ocserv":
        return None
    rx = re.compile(r" (\d+\.\d+\.\d+\.\d+) sending IPv4 (\S+)")
    seen = {}
    for line in a.loglines:
        m = rx.search(line)
        if m:
            seen.setdefault(m.group(1), []).append(m.group(2))
    return sum(1 for r in rows if len(set(seen.get(r["source"], []))) > 1)


def resume_figures(a, rows, P):
    cut = [r for r in rows if r["thawed_at_ms"] >= 0]
    if not cut:
        na(a.server, P + ".resume_all", "no client was cut")
        return
    ok = [r for r in cut if r["resumes"] >= 1 and not r["pending_resume"]
          and r["state"] != "failed"]
    failed = len(cut) - len(ok)
    note = f"{len(cut)} cut for the storm; {sum(r['state'] == 'failed' for r in cut)} gave up"
    moved = readdressed(a, [r for r in cut if r not in ok])
    if moved is not None:
        note += f"; {moved} of them were given another address on reconnect"
    out(a.server, P + ".resume_failed", failed, "clients", note)
    if ok:
        t = [r["resume_ms_max"] for r in ok]
        out(a.server, P + ".resume_all", max(t) / 1000.0, "s",
            f"restore -> last of {len(ok)} resumed (CSTP connected)")
        out(a.server, P + ".resume_p50", pct(t, 50) / 1000.0, "s")


def analyze(argv):
    ap = argparse.ArgumentParser(prog="scale.py analyze")
    ap.add_argument("--server", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--json", action="append", required=True,
                    help="FILE:START_MS, one per ocload process (its clock's zero)")
    ap.add_argument("--log", required=True)
    ap.add_argument("--dpd", type=int, required=True)
    a = ap.parse_args(argv)
    P = f"scale.{a.n}"
    rows = []
    try:
        for arg in a.json:
            path, start = arg.rsplit(":", 1)
            for l in open(path):
                if l.strip():
                    r = json.loads(l)
                    r["start_ms"] = int(start)
                    rows.append(r)
    except (OSError, ValueError) as e:
        na(a.server, P + ".login_rate", f"failed: ocload JSON: {e}")
        return
    with open(a.log, errors="replace") as f:
        a.loglines = f.readlines()
    login_figures(a, rows, P)
    dpd_figures(a, rows, P)
    resume_figures(a, rows, P)


# ---------------------------------------------------------------- report

FIGURES = [
    ("pss_idle", "server with no client: PSS"),
    ("pss", "N tunnels: PSS, all server processes"),
    ("pss_marginal", "marginal PSS per tunnel, (PSS(N) - PSS(idle)) / N"),
    ("idle_cpu", "idle: server CPU per tunnel"),
    ("idle_cpu_pct", "idle: server CPU, all tunnels"),
    ("idle_wakeups", "idle: voluntary context switches per tunnel"),
    ("up", "clients up"),
    ("login_rate", "login rate (ocload's ramp caps it)"),
    ("connect_p50", "login + CONNECT, p50"),
    ("connect_p99", "login + CONNECT, p99"),
    ("occtl_users", "show users (occtl-modern / occtl)"),
    ("dpd_freeze_p50", "DPD, 1 % frozen: freeze -> tunnel end, p50"),
    ("dpd_freeze_p99", "  same, p99"),
    ("dpd_freeze_max", "  same, max"),
    ("dpd_lastrx_p50", "  server's last rx -> tunnel end, p50 (ours only)"),
    ("dpd_lastrx_p99", "  same, p99 (ours only)"),
    ("dpd_lastrx_max", "  same, max (ours only)"),
    ("resume_all", "resume storm (all cut 30 s): restore -> all resumed"),
    ("resume_p50", "  per client, p50"),
    ("resume_failed", "  clients not resumed"),
]


def collect(path):
    """Figures, reasons for missing ones, facts; a run that failed gives its
    exit status as the reason for every figure of it."""
    vals, nas, meta = {}, {}, {}
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if "meta" in r:
            meta.setdefault(r["server"], {})[r["meta"]] = r["value"]
        elif "scenario" in r:
            if r["rc"] != 0:
                n = r["scenario"].split("-")[1]
                for key, _ in FIGURES:
                    nas.setdefault((f"scale.{n}.{key}", r["server"]),
                                   f"run exit {r['rc']}, see {r['log']}")
        elif "na" in r:
            nas[(r["id"], r["server"])] = r["na"]
        elif "id" in r:
            vals.setdefault((r["id"], r["server"]), []).append(r)
    return vals, nas, meta


def cell(vals, nas, fid, server):
    rs = vals.get((fid, server))
    if not rs:
        why = nas.get((fid, server))
        return None, ("n/a: " + why[:60]) if why else "-"
    v = statistics.median(r["value"] for r in rs)
    # seconds to the ms (DPD against 3 x dpd + 50 ms), others to 3 digits
    fmt = (lambda x: f"{x:.3f}") if rs[0]["unit"] == "s" else \
        (lambda x: f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}")
    s = fmt(v)
    if len(rs) > 1:
        s += f" ({fmt(min(r['value'] for r in rs))}-{fmt(max(r['value'] for r in rs))}) n={len(rs)}"
    return v, s


def plot(outdir, sizes, vals):
    data = os.path.join(outdir, "scale.dat")
    with open(data, "w") as f:
        f.write("# N pss_modern_MiB pss_ocserv_MiB cpu_modern_pct cpu_ocserv_pct\n")
        for n in sizes:
            row = [str(n)]
            for fid in ("pss", "idle_cpu_pct"):
                for s in SERVERS:
                    rs = vals.get((f"scale.{n}.{fid}", s))
                    row.append(str(statistics.median(r["value"] for r in rs)) if rs else "NaN")
            f.write(" ".join(row) + "\n")
    png = os.path.join(outdir, "scale.png")
    svg = os.path.join(outdir, "scale.svg")
    gp = f"""set terminal png size 1100,450
set output '{png}'
load '{os.path.join(outdir, "scale-plots.gp")}'
set terminal svg size 1100,450 dynamic
set output '{svg}'
load '{os.path.join(outdir, "scale-plots.gp")}'
"""
    plots = f"""set multiplot layout 1,2
set grid
set key top left
set yrange [0:*]
set xlabel 'tunnels'
set ylabel 'PSS, all server processes (MiB)'
set title 'Memory'
plot '{data}' using 1:2 with linespoints title 'ocserv-modern', \\
     '{data}' using 1:3 with linespoints title 'ocserv 1.1.6'
set ylabel 'server CPU while idle (% of one CPU)'
set title 'Idle CPU (DPD and keepalives only)'
plot '{data}' using 1:4 with linespoints title 'ocserv-modern', \\
     '{data}' using 1:5 with linespoints title 'ocserv 1.1.6'
unset multiplot
"""
    with open(os.path.join(outdir, "scale.gp"), "w") as f:
        f.write(gp)
    with open(os.path.join(outdir, "scale-plots.gp"), "w") as f:
        f.write(plots)
    try:
        subprocess.run(["gnuplot", os.path.join(outdir, "scale.gp")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        return png
    except (OSError, subprocess.SubprocessError) as e:
        print(f"scale.py: no plot: {e}", file=sys.stderr)
        return None


def report(argv):
    results, runfile, outdir = argv
    run = json.load(open(runfile))
    vals, nas, meta = collect(results)
    sizes = sorted({int(k[0].split(".")[1]) for k in list(vals) + list(nas)
                    if k[0].startswith("scale.") and k[0].split(".")[1].isdigit()})
    nas = {k: v for k, v in nas.items() if v is not None}
    units = {}
    for rs in vals.values():
        units[rs[0]["id"].split(".", 2)[2]] = rs[0]["unit"]
    lines = [
        f"- Date: {run['date_start']} to {run['date_end']} ({run['seconds']} s)",
        f"- Commit: {run['git']}; {run['ours_version']}; {run['ocserv_version']}",
        f"- Machine: {run['host']}; load average at start {run['load_start']}, "
        f"at end {run['load_end']} (shared machine)",
        "- One run per size and server, ours first; ratio = ours / ocserv.",
        "",
        "| N | Figure | Unit | ocserv-modern | ocserv 1.1.6 | Ratio |",
        "|---|---|---|---|---|---|",
    ]
    table = []
    for n in sizes:
        for key, label in FIGURES:
            fid = f"scale.{n}.{key}"
            if (fid, "modern") not in vals and (fid, "ocserv") not in vals \
                    and (fid, "modern") not in nas and (fid, "ocserv") not in nas:
                continue
            vm, sm = cell(vals, nas, fid, "modern")
            vo, so = cell(vals, nas, fid, "ocserv")
            ratio = f"{vm / vo:.2f}" if vm is not None and vo not in (None, 0) else "-"
            lines.append(f"| {n} | {label} | {units.get(key, '')} | {sm} | {so} | {ratio} |")
            table.append({"n": n, "id": fid, "label": label, "unit": units.get(key, ""),
                          "modern": [r["value"] for r in vals.get((fid, "modern"), [])],
                          "ocserv": [r["value"] for r in vals.get((fid, "ocserv"), [])],
                          "notes": {s: [r["note"] for r in vals.get((fid, s), []) if r["note"]]
                                    for s in SERVERS},
                          "na": {s: nas.get((fid, s)) for s in SERVERS}})
    png = plot(outdir, sizes, vals) if sizes else None
    if png:
        lines.append("")
        lines.append(f"Plot: {png}")
    print("\n".join(lines))
    json.dump({"run": run, "sizes": sizes, "figures": table, "meta": meta,
               "plot": png}, open(os.path.join(outdir, "scale.json"), "w"), indent=1)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "analyze":
        analyze(sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "report":
        report(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
