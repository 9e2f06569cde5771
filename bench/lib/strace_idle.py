#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""strace_idle.py: syscalls and timer wake-ups of idle server processes.

  strace_idle.py TRACE T0_MS T1_MS < "PID ROLE" lines

TRACE is the output of `strace -f -ttt -qq -o TRACE -p PID ...` attached to
every server process; only syscalls that completed within [T0, T1] (epoch
milliseconds) count. A PID not in the list (a process or thread started
during the window, which strace -f followed) counts as "other".

For each role (worker, main, sec-mod, total) it prints, per minute:
  ROLE.syscalls        completed syscalls
  ROLE.timer_wakeups   waits (epoll_wait, poll, select ...) that returned 0,
                       i.e. the process woke because its timeout ran out
  ROLE.undue_wakeups   those of them after which the process did nothing
                       visible (no write, send or signal) before its next
                       wait: a timer that was armed for a deadline that was
                       not due, e.g. a lazily kept deadline that moved, or a
                       periodic poll that found nothing to do

Output lines: "ID VALUE NOTE..." for bench/lib/idle.sh.
"""

import re
import sys

WAITS = {"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
         "select", "pselect6", "_newselect"}
ACTIONS = {"write", "writev", "pwrite64", "send", "sendto", "sendmsg",
           "sendmmsg", "kill", "tgkill", "tkill"}

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>.*\)\s+=\s+(-?\d+|\?)")
CALL = re.compile(r"^(\w+)\(.*\)\s+=\s+(-?\d+|\?)")
UNFINISHED = re.compile(r"^(\w+)\(.*<unfinished \.\.\.>$")


def parse(path, t0, t1):
    """Yield (pid, name, ret) of syscalls completed within [t0, t1] s."""
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, ts, rest = int(m.group(1)), float(m.group(2)), m.group(3)
            if rest.startswith(("+++", "---")) or UNFINISHED.match(rest):
                continue
            c = RESUMED.match(rest) or CALL.match(rest)
            if not c:
                continue
            if ts < t0 or ts > t1:
                continue
            ret = c.group(2)
            yield pid, c.group(1), (int(ret) if ret != "?" else None)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, t0, t1 = sys.argv[1], int(sys.argv[2]) / 1000, int(sys.argv[3]) / 1000
    roles = {}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 2:
            roles[int(parts[0])] = parts[1]
    minutes = (t1 - t0) / 60
    if minutes <= 0:
        sys.exit("empty window")

    calls = {}
    timer = {}
    undue = {}
    pending = {}        # pid -> True while a timer wake-up awaits its verdict

    def add(d, role, n=1):
        d[role] = d.get(role, 0) + n
        d["total"] = d.get("total", 0) + n

    for pid, name, ret in parse(path, t0, t1):
        role = roles.get(pid, "other")
        add(calls, role)
        if name in WAITS:
            if pending.pop(pid, False):
                add(undue, role)
            if ret == 0:
                add(timer, role)
                pending[pid] = True
        elif name in ACTIONS:
            pending.pop(pid, None)
    # A wake-up still pending at the end of the window has no verdict.

    seen = sorted(set(roles.values()) | {"total"})
    for role in seen:
        n = calls.get(role, 0)
        print(f"{role}.syscalls {n / minutes:.1f} {n} in {t1 - t0:.1f} s")
        n = timer.get(role, 0)
        print(f"{role}.timer_wakeups {n / minutes:.1f} {n} in {t1 - t0:.1f} s")
        n = undue.get(role, 0)
        print(f"{role}.undue_wakeups {n / minutes:.1f} {n} in {t1 - t0:.1f} s "
              "(timer wake-ups followed by no write, send or signal)")


if __name__ == "__main__":
    main()
