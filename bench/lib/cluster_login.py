#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""cluster_login.py: the table of bench/cluster-login.

  cluster_login.py WORKDIR SETUPS ROUNDS WARMUP_S WINDOW_S CLK_TCK DATE
                   COMMIT LOAD_START LOAD_END NOTE

WORKDIR holds, per set-up NAME and round R, NAME-rR-*.jsonl (ocprobe.py
logins: one record per attempt) and NAME-rR.meta (the shell's readings: the
window's length, CPU ticks per namespace at its start and end, load
averages, logins per gateway, sessions left in Redis). The window of the
login figures is the round's first attempt start + WARMUP_S, for WINDOW_S;
an attempt counts in it when it ended in it. A set-up's figures pool its
rounds (every login of every window; CPU over all its windows); the rate of
each round is given too. Prints one markdown table, the set-ups side by
side.
"""

import glob
import json
import math
import sys

LABELS = {
    "memory": "1 gateway, no store (memory)",
    "sqlite": "1 gateway, SQLite file",
    "redis1": "1 gateway, Redis",
    "redis2": "2 gateways, Redis",
}


def pct(values, p):
    """Nearest rank: the smallest value with at least p of them at or below."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(p * len(v)) - 1)]


def ticks(snapshot):
    """'a:M,S,O b:... redis:M,S,O client:...' -> {name: [M, S, O]}."""
    out = {}
    for part in snapshot.split():
        name, vals = part.split(":")
        out[name] = [int(x) for x in vals.split(",")]
    return out


def load_round(work, run, warmup, window):
    """The logins of one round's window, its errors and its CPU ticks."""
    recs = []
    for path in sorted(glob.glob(f"{work}/{run}-*.jsonl")):
        with open(path) as f:
            recs += [json.loads(line) for line in f if line.strip()]
    with open(f"{work}/{run}.meta") as f:
        meta = json.load(f)
    c0, c1 = ticks(meta["cpu0"]), ticks(meta["cpu1"])
    rnd = {"meta": meta, "ok": [], "err_win": 0, "recs": recs,
           "ticks": {k: [c1[k][i] - c0[k][i] for i in range(3)] for k in c0}}
    if recs:
        start = min(x["t0"] for x in recs) + warmup
        inwin = [x for x in recs if start <= x["t1"] < start + window]
        rnd["ok"] = [x for x in inwin if x["ok"]]
        rnd["err_win"] = len(inwin) - len(rnd["ok"])
    return rnd


def load_setup(work, name, rounds, warmup, window, hz):
    rs = [load_round(work, f"{name}-r{i}", warmup, window) for i in range(1, rounds + 1)]
    ok = [x for rnd in rs for x in rnd["ok"]]
    gws = rs[0]["meta"]["gateways"].split()
    r = {"name": name, "gws": gws, "redis": rs[0]["meta"]["left"] != ""}
    r["rate"] = len(ok) / (window * rounds)
    r["rates"] = [len(rnd["ok"]) / window for rnd in rs]
    r["p50"] = pct([x["ms"] for x in ok], 0.5)
    r["p99"] = pct([x["ms"] for x in ok], 0.99)
    r["tls50"] = pct([x["tls_ms"] for x in ok], 0.5)
    r["err_win"] = sum(rnd["err_win"] for rnd in rs)
    r["kinds"] = {}
    for rnd in rs:
        for x in rnd["recs"]:
            if not x["ok"]:
                r["kinds"][x["error"]] = r["kinds"].get(x["error"], 0) + 1
    r["err_all"] = sum(r["kinds"].values())
    # CPU: % of one CPU over the shell's windows, per namespace
    secs = sum(rnd["meta"]["ms"] for rnd in rs) / 1000
    r["cpu"] = {k: [sum(rnd["ticks"][k][i] for rnd in rs) / hz / secs * 100 for i in range(3)]
                for k in rs[0]["ticks"]}
    gw_ms = sum(sum(r["cpu"][g]) for g in gws) * 10  # % of a CPU -> ms per s
    sm_ms = sum(r["cpu"][g][1] for g in gws) * 10
    r["gw_ms_per_login"] = gw_ms / r["rate"] if r["rate"] else None
    r["sm_ms_per_login"] = sm_ms / r["rate"] if r["rate"] else None
    r["served"] = {g: sum(rnd["meta"]["served"][g] for rnd in rs) for g in gws}
    r["left"] = max((int(rnd["meta"]["left"]) for rnd in rs), default=0) if r["redis"] else None
    r["load0"] = [rnd["meta"]["load0"].split()[0] for rnd in rs]
    r["load1"] = [rnd["meta"]["load1"].split()[0] for rnd in rs]
    return r


def f1(x):
    return "-" if x is None else f"{x:.1f}"


def cpu_cell(r, g):
    if g not in r["gws"]:
        return "-"
    m, s, o = r["cpu"][g]
    return f"{m + s + o:.0f} ({m:.0f} / {s:.0f} / {o:.0f})"


ROWS = [
    ("logins per second (login + CONNECT reply), all rounds", lambda r: f1(r["rate"])),
    ("logins per second, each round", lambda r: ", ".join(f"{x:.1f}" for x in r["rates"])),
    ("one login, p50 ms (TCP connect to CONNECT reply)", lambda r: f1(r["p50"])),
    ("one login, p99 ms", lambda r: f1(r["p99"])),
    ("TLS handshake, p50 ms", lambda r: f1(r["tls50"])),
    ("failed logins in the windows (whole run)", lambda r: f"{r['err_win']} ({r['err_all']})"),
    ("CPU gateway a, % of one CPU (main / sec-mod / workers)", lambda r: cpu_cell(r, "a")),
    ("CPU gateway b, % of one CPU (main / sec-mod / workers)", lambda r: cpu_cell(r, "b")),
    ("gateways' CPU per login, ms", lambda r: f1(r["gw_ms_per_login"])),
    ("of which sec-mod, ms", lambda r: f1(r["sm_ms_per_login"])),
    ("CPU redis-server, % of one CPU", lambda r: f"{sum(r['cpu']['redis']):.1f}" if r["redis"] else "-"),
    ("redis-server's CPU per login, ms", lambda r: f1(sum(r["cpu"]["redis"]) * 10 / r["rate"])
     if r["redis"] and r["rate"] else "-"),
    ("CPU clients (ocprobe), % of one CPU", lambda r: f"{sum(r['cpu']['client']):.0f}"),
    ("logins served by a / b (whole run)", lambda r: " / ".join(str(v) for v in r["served"].values())),
    ("sessions left in Redis after a round (most)", lambda r: "-" if r["left"] is None else str(r["left"])),
    ("load average (1 min) at each window's start", lambda r: ", ".join(r["load0"])),
    ("load average (1 min) at each window's end", lambda r: ", ".join(r["load1"])),
]


def main():
    work, setups, rounds, warmup, window, hz = sys.argv[1:7]
    date, commit, load0, load1, note = sys.argv[7:12]
    rounds, warmup, window, hz = int(rounds), float(warmup), float(window), int(hz)
    rs = [load_setup(work, s, rounds, warmup, window, hz) for s in setups.split(",")]
    print("| | " + " | ".join(LABELS[r["name"]] for r in rs) + " |")
    print("|---|" + "---|" * len(rs))
    for label, fn in ROWS:
        print(f"| {label} | " + " | ".join(fn(r) for r in rs) + " |")
    by = {r["name"]: r for r in rs}
    print()
    for a, b, what in (("redis2", "redis1", "2 gateways / 1 gateway, both with Redis"),
                       ("redis1", "memory", "1 gateway, Redis / no store"),
                       ("sqlite", "memory", "1 gateway, SQLite / no store")):
        if a in by and b in by and by[a]["rate"] and by[b]["rate"]:
            cpu = ""
            if by[a]["gw_ms_per_login"] and by[b]["gw_ms_per_login"]:
                cpu = f"; gateways' CPU per login {by[a]['gw_ms_per_login'] / by[b]['gw_ms_per_login']:.2f}x"
            print(f"- {what}: {by[a]['rate'] / by[b]['rate']:.2f}x the logins per second{cpu}")
    for r in rs:
        for kind, n in sorted(r["kinds"].items()):
            print(f"- {LABELS[r['name']]}: {n} x {kind}")
    print(f"\n{date}, commit {commit}, {note}; {rounds} rounds of {window:.0f} s windows after"
          f" {warmup:.0f} s of warm-up each; load average at start {load0}, at end {load1}")


if __name__ == "__main__":
    main()
