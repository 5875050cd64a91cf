"""Prints the CPU time (user + system, ms) used so far by processes and their descendants (a server and,
for a PostgreSQL-backed one, the cluster's postmaster): peers.sh reads it before and after a measurement,
so a server's work per request is known whatever else the machine is doing (throughput is not: on a
shared two-core machine it moves with the load). A PostgreSQL-backed server's share of the database's
work counts as its own; one server is measured at a time.
Usage: python proc_cpu.py PID [PID...]"""
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
    # utime + stime, and cutime + cstime: the children it has reaped (PostgreSQL backends that ended).
    procs[int(entry)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))

roots = {int(p) for p in sys.argv[1:]}
counted = set(roots)
changed = True
while changed:
    changed = False
    for pid, (_, ppid, _, _) in procs.items():
        if ppid in counted and pid not in counted:
            counted.add(pid)
            changed = True
# A reaped child's time is in its parent's cutime; counting it only for the roots counts nobody twice
# (a descendant's own reaped children are in its cutime, but its time moves there only when it ends).
own = sum(procs[p][2] for p in counted if p in procs)
reaped = sum(procs[p][3] for p in roots if p in procs)
print(round((own + reaped) * tick_ms))
