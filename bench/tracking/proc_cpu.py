"""Prints the CPU time (user + system, ms) used so far by a process and its descendants, and with
--postgres also by every PostgreSQL server process: peers.sh reads it before and after a measurement,
so a server's work per request is known whatever else the machine is doing (throughput is not: on a
shared two-core machine it moves with the load). A PostgreSQL-backed server's share of the database's
work counts as its own; one server is measured at a time.
Usage: python proc_cpu.py PID [--postgres]"""
import os
import sys

tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
procs = {}
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    try:
        stat = open(f"/proc/{entry}/stat").read()
    except OSError:
        continue  # the process ended while we listed
    # The command name is in parentheses and may contain spaces: split after its closing one.
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    procs[int(entry)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]))  # name, ppid, utime + stime

root = int(sys.argv[1])
counted = {root}
changed = True
while changed:
    changed = False
    for pid, (_, ppid, _) in procs.items():
        if ppid in counted and pid not in counted:
            counted.add(pid)
            changed = True
if "--postgres" in sys.argv[2:]:
    counted |= {pid for pid, (name, _, _) in procs.items() if name == "postgres"}
print(round(sum(procs[p][2] for p in counted if p in procs) * tick_ms))
