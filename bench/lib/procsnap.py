#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One snapshot of every server process of a network namespace, read in one
pass (bench/scale: thousands of workers, where a fork per process and
figure would take minutes and blur the measured window).

  procsnap.py snap NETNS MAIN_PID [--smaps]
      one JSON object on stdout: the time of the read (epoch ms, the middle
      of it, and how long it took) and, per server process, its role (main,
      sec-mod, worker, other), utime + stime in clock ticks and voluntary
      context switches; with --smaps also Pss and Private_Dirty (kB).
  procsnap.py diff A.json B.json
      "TICKS VCSW MS PROCS GONE" from snapshot A to B over the processes of
      A: the CPU ticks and voluntary context switches they took, the time
      between the two reads, how many processes A had and how many of them
      had ended by B (their share is lost: measure in a quiet window).
  procsnap.py memory A.json
      "ROLE PSS_KB PRIVATE_DIRTY_KB COUNT" per role and a "total" line, as
      bench/lib/common.sh server_memory prints them.
"""
import json
import subprocess
import sys
import time


def role_of(pid, main_pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
    except OSError:
        return None
    if pid == main_pid:
        return "main"
    if comm.startswith(("ocserv-modern-w", "ocserv-worker")):
        return "worker"
    if comm.startswith("ocserv-sm") or "sec-mod" in comm or "secmod" in comm:
        return "sec-mod"
    if comm.startswith("ocserv"):
        return "other"
    return None


def stat_of(pid):
    """(utime + stime ticks, voluntary context switches) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        with open(f"/proc/{pid}/status") as f:
            st = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    for line in st.splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return ticks, int(line.split()[1])
    return None


def smaps_of(pid):
    pss = dirty = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Private_Dirty:"):
                    dirty = int(line.split()[1])
    except OSError:
        return None
    return pss, dirty


def snap(ns, main_pid, smaps):
    pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True,
                          check=False).stdout.split()
    t0 = time.time()
    procs = {}
    for p in pids:
        pid = int(p)
        role = role_of(pid, main_pid)
        if role is None:
            continue
        st = stat_of(pid)
        if st is None:
            continue
        rec = {"role": role, "ticks": st[0], "vcsw": st[1]}
        if smaps:
            m = smaps_of(pid)
            if m is None:
                continue
            rec["pss"], rec["dirty"] = m
        procs[str(pid)] = rec
    t1 = time.time()
    json.dump({"t_ms": int((t0 + t1) * 500), "read_ms": int((t1 - t0) * 1000),
               "procs": procs}, sys.stdout)
    print()


def diff(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    ticks = vcsw = gone = 0
    for pid, ra in a["procs"].items():
        rb = b["procs"].get(pid)
        if rb is None or rb["role"] != ra["role"]:
            gone += 1
            continue
        ticks += rb["ticks"] - ra["ticks"]
        vcsw += rb["vcsw"] - ra["vcsw"]
    print(ticks, vcsw, b["t_ms"] - a["t_ms"], len(a["procs"]), gone)


def memory(path):
    a = json.load(open(path))
    by = {}
    for r in a["procs"].values():
        if "pss" not in r:
            continue
        e = by.setdefault(r["role"], [0, 0, 0])
        e[0] += r["pss"]
        e[1] += r["dirty"]
        e[2] += 1
    tot = [sum(e[i] for e in by.values()) for i in range(3)]
    for role, e in sorted(by.items()):
        print(role, *e)
    print("total", *tot)


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "snap":
        snap(args[1], int(args[2]), "--smaps" in args[3:])
    elif len(args) == 3 and args[0] == "diff":
        diff(args[1], args[2])
    elif len(args) == 2 and args[0] == "memory":
        memory(args[1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
