#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py: the benchmark table (markdown, stdout) and its JSON twin.

  report.py RESULTS.jsonl RUN.json OUT.json

RESULTS.jsonl holds what the scenarios appended (bench/lib/common.sh):
  {"id", "server", "value", "unit", "rep", "note"}   one measured value
  {"id", "server", "na"}                             not measured, and why
  {"meta", "server", "value"}                        a fact about a run
  {"scenario", "server", "rc", "seconds", "log"}     how a scenario ended
RUN.json holds the facts of the whole run (bench/run): date, mode, load
averages at start and end, versions, host.

Every figure of FIGURES is shown, measured or not: a figure nobody measured
says why (the scenario's own reason, or that its scenario failed). Ratios are
ours / ocserv of the medians. A target is judged on the statistic its text
names; "n/a yet" when our figure is missing because a feature has not
landed, "not measured" when a run failed.
"""

import json
import statistics
import sys

OURS, REF = "modern", "ocserv"

# (id, label, unit, target kind, target argument, target text)
#   kind "max_le":   met if our max <= arg (every repetition)
#   kind "med_le":   met if our median <= arg
#   kind "ratio_le": met if ours/ocserv (medians) <= arg
#   kind "ratio_lt":   met if ours/ocserv (medians) < arg
#   kind "ratio_ge": met if ours/ocserv (medians) >= arg
#   kind "zero":     met if our max == 0
#   kind None:       no target (context)
D = 5
FIGURES = [
    ("1", "Dead-peer detection, dpd = 5", None, None, None, None),
    ("dpd.sigstop", "client frozen (SIGSTOP): client's last packet -> tunnel ended",
     "s", "max_le", 3 * D + 0.050, "<= 3*dpd + 50 ms = 15.050 s, every rep"),
    ("dpd.sigstop.server_l", "  same, L = the worker's own last rx (ours only)",
     "s", "max_le", 3 * D + 0.050, "<= 15.050 s, every rep"),
    ("dpd.cut", "silent cut (nft drop, input, both netns): last packet -> tunnel ended",
     "s", "max_le", 3 * D + 0.050, "<= 3*dpd + 50 ms = 15.050 s, every rep"),
    ("dpd.cut.server_l", "  same, L = the worker's own last rx (ours only)",
     "s", "max_le", 3 * D + 0.050, "<= 15.050 s, every rep"),
    ("2", "Idle wake-ups, dpd = 10, keepalive = 5, no traffic", None, None, None, None),
]
for tr, what in (("dtls", "DTLS up"), ("cstp", "CSTP only (--no-dtls)")):
    FIGURES += [
        (f"idle.{tr}.worker.vcsw", f"{what}: worker voluntary ctx switches",
         "/min", "ratio_le", 0.8, "<= 0.8x ocserv"),
        (f"idle.{tr}.main.vcsw", f"{what}: main voluntary ctx switches",
         "/min", None, None, None),
        (f"idle.{tr}.sec-mod.vcsw", f"{what}: sec-mod voluntary ctx switches",
         "/min", None, None, None),
        (f"idle.{tr}.total.vcsw", f"{what}: all server processes, ctx switches",
         "/min", "ratio_le", 0.8, "<= 0.8x ocserv"),
        (f"idle.{tr}.worker.syscalls", f"{what}: worker syscalls (strace, separate window)",
         "/min", None, None, None),
        (f"idle.{tr}.total.syscalls", f"{what}: all server processes, syscalls (strace)",
         "/min", None, None, None),
        (f"idle.{tr}.total.timer_wakeups", f"{what}: timer wake-ups, all processes (strace)",
         "/min", None, None, None),
        (f"idle.{tr}.total.undue_wakeups", f"{what}: timer wake-ups that did nothing (strace)",
         "/min", "zero", 0, "0: no wake-up that is not due"),
    ]
FIGURES += [
    ("3", "Memory (smaps_rollup, all server processes)", None, None, None, None),
    ("mem.1.pss", "1 client: PSS", "MiB", None, None, None),
    ("mem.1.private_dirty", "1 client: private dirty", "MiB", None, None, None),
    ("mem.20.pss", "20 clients: PSS", "MiB", None, None, None),
    ("mem.20.private_dirty", "20 clients: private dirty", "MiB", None, None, None),
    ("mem.marginal.pss", "marginal cost per client, PSS", "MiB", "ratio_le", 0.5, "<= 0.5x ocserv"),
    ("mem.marginal.private_dirty", "marginal cost per client, private dirty",
     "MiB", "ratio_le", 0.5, "<= 0.5x ocserv"),
    ("mem.waiting.pss", "per waiting-to-resume session (1,000 waiting), PSS",
     "KiB", None, None, None),
    ("mem.waiting.private_dirty", "per waiting session (1,000 waiting), private dirty",
     "KiB", None, None, None),
    ("mem.waiting.total_pss", "server total with 1,010 waiting sessions, PSS",
     "MiB", None, None, None),
    ("4", "Throughput, iperf3 TCP 10 s through the tunnel", None, None, None, None),
]
for tr, what, need in (("dtls", "DTLS", 1.0), ("cstp", "CSTP (--no-dtls)", 1.2)):
    for d, dw in (("up", "client->server"), ("down", "server->client")):
        FIGURES.append((f"tput.{tr}.{d}.mbps", f"{what} {dw}", "Mbit/s",
                        "ratio_ge", need, f">= {need:.1f}x ocserv"))
        FIGURES.append((f"tput.{tr}.{d}.cpu_per_gb", f"{what} {dw}: server CPU per GB",
                        "CPU s/GB", "ratio_lt", 1.0, "< 1.0x ocserv (less CPU)"))
FIGURES += [
    ("5", "Connect and resume", None, None, None, None),
    ("connect.launch_cstp", "launch (password login) -> 'CSTP connected.'", "ms", None, None, None),
    ("connect.launch_ping", "launch -> first ping answered", "ms", None, None, None),
    ("connect.fresh.client", "fresh session, client side: TCP connect -> CONNECT reply",
     "ms", None, None, None),
    ("connect.resume.client", "resume, client side: TCP connect -> CONNECT reply",
     "ms", None, None, None),
    ("connect.fresh.server", "fresh session, server log: accept -> CONNECT reply",
     "ms", None, None, None),
    ("connect.resume.server", "resume, server log: accept -> CONNECT reply",
     "ms", "med_le", 5.0, "median <= 5 ms"),
    ("connect.resume_p256.client",
     "resume, P-256 key share as openconnect sends (no HelloRetryRequest), client side",
     "ms", None, None, None),
    ("connect.resume_p256.server",
     "resume, P-256 key share as openconnect sends (no HelloRetryRequest), server log",
     "ms", None, None, None),
]


# Decimals per unit: enough to show what the figure can resolve.
DECIMALS = {"s": 3, "ms": 1, "/min": 1, "MiB": 2, "KiB": 2, "Mbit/s": 0, "CPU s/GB": 2}


# The section rows belong to the groups of bench/run --only.
GROUP_OF = {"1": "dpd", "2": "idle", "3": "mem", "4": "tput", "5": "connect"}


def fmt(v, unit=None):
    if v is None:
        return "-"
    if unit in DECIMALS:
        return f"{v:.{DECIMALS[unit]}f}"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def stats(values):
    if not values:
        return None
    return {"n": len(values), "median": statistics.median(values),
            "min": min(values), "max": max(values), "values": values}


def cell(st, reasons, unit):
    if st is None:
        if not reasons:
            return "not measured"
        r = reasons[0]
        return r if r.startswith(("n/a", "not measured")) else "n/a: " + r
    s = f"{fmt(st['median'], unit)} ({fmt(st['min'], unit)}-{fmt(st['max'], unit)}) n={st['n']}"
    if reasons:
        s += f" [{len(reasons)} rep(s) failed]"
    return s


def short_reason(r):
    r = r.strip()
    return r if len(r) <= 60 else r[:57] + "..."


def judge(kind, arg, ours, ref):
    """(verdict, ratio): verdict True/False/None (no target or no data)."""
    ratio = None
    if ours and ref and ref["median"]:
        ratio = ours["median"] / ref["median"]
    if kind is None:
        return None, ratio
    if ours is None:
        return None, ratio
    if kind == "max_le":
        return ours["max"] <= arg, ratio
    if kind == "med_le":
        return ours["median"] <= arg, ratio
    if kind == "zero":
        return ours["max"] == 0, ratio
    if ratio is None:
        return None, ratio
    if kind == "ratio_le":
        return ratio <= arg, ratio
    if kind == "ratio_lt":
        return ratio < arg, ratio
    if kind == "ratio_ge":
        return ratio >= arg, ratio
    raise ValueError(kind)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    res_path, run_path, out_path = sys.argv[1:]
    run = json.load(open(run_path))
    values, reasons, metas, scenarios = {}, {}, {}, []
    with open(res_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            srv = r.get("server")
            if "scenario" in r:
                scenarios.append(r)
            elif "meta" in r:
                metas.setdefault(srv, {}).setdefault(r["meta"], [])
                if r["value"] not in metas[srv][r["meta"]]:
                    metas[srv][r["meta"]].append(r["value"])
            elif "na" in r:
                reasons.setdefault((r["id"], srv), []).append(r["na"])
            elif "value" in r:
                values.setdefault((r["id"], srv), []).append(float(r["value"]))

    failed = {}
    for s in scenarios:
        if s.get("rc") not in (0, "0"):
            failed.setdefault(s["server"], []).append(
                f"scenario {s['scenario']} exited {s['rc']} (log {s.get('log', '?')})")

    rows, out_rows = [], []
    met_count = {"met": 0, "not met": 0, "n/a": 0}
    groups = set(run.get("groups", "dpd,idle,mem,tput,connect").split(","))
    # --only tput-cstp / tput-dtls: section 4 with that transport's rows only
    halves = {g[len("tput-"):] for g in groups if g in ("tput-cstp", "tput-dtls")}
    if halves and "tput" not in groups:
        groups.add("tput")
    else:
        halves = {"cstp", "dtls"}
    for fid, label, unit, kind, arg, ttext in FIGURES:
        if GROUP_OF.get(fid, fid.split(".")[0]) not in groups:
            continue        # not asked for in this run (bench/run --only)
        if fid.startswith("tput.") and fid.split(".")[1] not in halves:
            continue
        if unit is None:
            rows.append(f"| **{fid}** | **{label}** | | | | | | |")
            continue
        st = {s: stats(values.get((fid, s), [])) for s in (OURS, REF)}
        rs = {s: [short_reason(x) for x in reasons.get((fid, s), [])] for s in (OURS, REF)}
        for s in (OURS, REF):
            if st[s] is None and not rs[s] and failed.get(s):
                rs[s] = ["not measured (a scenario failed, see notes)"]
        verdict, ratio = judge(kind, arg, st[OURS], st[REF])
        if kind is None:
            vtext = "-"
        elif verdict is True:
            vtext = "met"
            met_count["met"] += 1
        elif verdict is False:
            vtext = "**NOT met**"
            met_count["not met"] += 1
        else:
            yet = any("n/a yet" in x for x in rs[OURS])
            vtext = "n/a yet" if yet else "not measured"
            met_count["n/a"] += 1
        ours_only = fid.endswith(".server_l") or fid.startswith("connect.") and fid.endswith(".server")
        ref_cell = cell(st[REF], rs[REF], unit)
        if ours_only and st[REF] is None and not values.get((fid, REF)):
            ref_cell = "-" if not rs[REF] else cell(None, rs[REF], unit)
        rows.append(f"| {fid} | {label} | {unit} | {cell(st[OURS], rs[OURS], unit)} | {ref_cell} | "
                    f"{f'{ratio:.2f}' if ratio is not None else '-'} | {ttext or '-'} | {vtext} |")
        out_rows.append({
            "id": fid, "label": label.strip(), "unit": unit,
            "ours": st[OURS], "ocserv": st[REF],
            "ours_not_measured": rs[OURS] or None, "ocserv_not_measured": rs[REF] or None,
            "ratio": ratio, "target": ttext,
            "met": verdict if kind is not None else None,
        })

    head = [
        f"# Benchmarks: ocserv-modern vs ocserv 1.1.6 ({run.get('mode')} run)",
        "",
        f"- Date: {run.get('date_start')} to {run.get('date_end')} "
        f"({run.get('seconds', '?')} s)",
        f"- Machine: {run.get('host')}; load average at start {run.get('load_start')}, "
        f"at end {run.get('load_end')} (shared machine)",
        f"- Versions: {run.get('ours_version')} ({run.get('git')}); "
        f"{run.get('ocserv_version')}; {run.get('openconnect_version')}; "
        f"{run.get('iperf3_version')}",
        "- Cells: median (min-max) n=repetitions; ratio = ours/ocserv of the medians.",
        "",
        "| # | Figure | Unit | ocserv-modern | ocserv 1.1.6 | Ratio | Target (ours) | Met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = ["", f"Targets: {met_count['met']} met, {met_count['not met']} not met, "
                 f"{met_count['n/a']} not measurable in this run.", ""]
    for srv, name in ((OURS, "ocserv-modern"), (REF, "ocserv 1.1.6")):
        m = metas.get(srv, {})
        facts = [f"{k} = {', '.join(v)}" for k, v in sorted(m.items()) if k != "version"]
        if facts:
            notes.append(f"- {name}: " + "; ".join(facts))
    for srv, fl in failed.items():
        for x in fl:
            notes.append(f"- {srv}: {x}")
    for (fid, srv), rr in sorted(reasons.items()):
        full = [x for x in rr if len(x) > 60]
        for x in full:
            notes.append(f"- {fid} ({srv}): {x}")
    print("\n".join(head + rows + notes))

    doc = dict(run)
    doc["figures"] = out_rows
    doc["meta"] = metas
    doc["scenarios"] = scenarios
    doc["targets"] = met_count
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
