"""Writes the "Peers" section of bench/results/tracking.md from peers.sh's wrk results, keeping everything
above it (run.sh's section) and the
"### Where the time goes" notes below it. Refuses a result in which wrk saw an error status or a socket error.
Usage: python peers_report.py RESULTS.jsonl WORKDIR COMMAND FTML_VERSION LOADS SEARCH_RUNS MLFLOW_SEARCH_RUNS
       PG_VERSION RESULTS_MD"""
import collections
import datetime
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

results, work, command, fml_version, loads, search_runs, mlflow_search_runs, pg_version, out = sys.argv[1:10]
rates = collections.defaultdict(list)
cpu_per_request = collections.defaultdict(list)
for line in open(results):
    r = json.loads(line)
    w = r["wrk"]
    # mlflow server may finish no 100,000-point history inside the window: recorded as 0, said below.
    if w["non2xx"] or w["socket_errors"] or (w["requests"] == 0 and r["server"] != "mlflow"):
        raise SystemExit(f"peers_report: {r['server']} {r['workload']} round {r['round']}: {w}")
    rates[(r["workload"], r["server"])].append(w["requests"] / (w["duration_us"] / 1e6))
    if "cpu_ms" in r and w["requests"]:
        cpu_per_request[(r["workload"], r["server"])].append(r["cpu_ms"] / w["requests"])

seeds = {s: json.load(open(Path(work) / f"{s}.seed.json")) for s in ("wharf-sqlite", "fml-sqlite", "wharf-pg", "fml-pg", "mlflow")}
node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
import mlflow  # noqa: E402 (the venv's, for its version)

cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]


def cell(workload, server):
    v = rates[(workload, server)]
    m = statistics.median(v)
    fmt = "{:.1f}" if m >= 10 else "{:.2f}"
    return m, f"{fmt.format(m)} ({fmt.format(min(v))}–{fmt.format(max(v))})"


units = {
    "log-metric": "log-metric calls/s",
    "log-batch": "log-batch calls of 1,000 metrics/s",
    "search-runs": f"searches/s over {search_runs} runs (filter + order, 100 a page)",
    "get-history": "100,000-point get-history calls/s",
}
lines = [
    "## Peers: wharf vs FastTrackML vs mlflow server, raw REST through wrk (bench/tracking/peers.sh)\n",
    f"- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}; machine: {platform.node()}, {cpu}, 2 cores, shared",
    f"- load average (1/5/15 min) at the start of each round and at the end: {loads}",
    f"- versions: node {node}; FastTrackML {fml_version} (built from source by install-fasttrackml.sh); "
    f"mlflow server {mlflow.__version__}; PostgreSQL {pg_version}",
    f"- command: `{command}` (rounds, seconds per measurement, search runs, mlflow's search runs)",
    "- all five servers started by the script in the same run, each on a fresh database (one PostgreSQL cluster,",
    "  a database each, fsync off as scripts/services/postgres.sh sets it; SQLite in WAL at synchronous=NORMAL on",
    "  both: FastTrackML's driver is compiled with that default, wharf runs with `--durability normal`);",
    "  `wrk -t1 -c8`, get-history measured 3× as long as the others; rounds interleave the servers; every figure is completed requests per second, median of the rounds (min–max).",
    "- the seeding (seed_rest.py) checks that each server answers the search with 100 runs in order and the",
    "  history with all 100,000 points; a round with any error status or socket error is refused.\n",
    "| workload | unit | wharf SQLite | FTML SQLite | wharf/FTML | wharf PG | FTML PG | wharf/FTML | mlflow (SQLite) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
]
for w, unit in units.items():
    ws, wsc = cell(w, "wharf-sqlite")
    fs, fsc = cell(w, "fml-sqlite")
    wp, wpc = cell(w, "wharf-pg")
    fp, fpc = cell(w, "fml-pg")
    mm, mc = cell(w, "mlflow")
    if mm == 0:
        mc = "0 (none finished in the window)"
    lines.append(f"| {w} | {unit} | {wsc} | {fsc} | **{ws / fs:.2f}×** | {wpc} | {fpc} | **{wp / fp:.2f}×** | {mc} |")
lines += [
    "\nThe servers' CPU time per completed request (ms, median of the rounds; a -pg server's includes PostgreSQL's",
    "processes, which do its queries): the work each does for a request, which the machine's load moves far less",
    "than throughput. FastTrackML spreads a request over both cores, wharf runs one Node process (and PostgreSQL).\n",
    "| workload | wharf SQLite | FTML SQLite | FTML/wharf | wharf PG | FTML PG | FTML/wharf | mlflow (SQLite) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
]
for w in units:
    c = {s: statistics.median(cpu_per_request[(w, s)]) if cpu_per_request[(w, s)] else None for s in ("wharf-sqlite", "fml-sqlite", "wharf-pg", "fml-pg", "mlflow")}
    f = lambda v: "–" if v is None else f"{v:.2f}"
    ratio = lambda a, b: "–" if a is None or b is None or a == 0 else f"{b / a:.2f}×"
    lines.append(f"| {w} | {f(c['wharf-sqlite'])} | {f(c['fml-sqlite'])} | {ratio(c['wharf-sqlite'], c['fml-sqlite'])} | "
                 f"{f(c['wharf-pg'])} | {f(c['fml-pg'])} | {ratio(c['wharf-pg'], c['fml-pg'])} | {f(c['mlflow'])} |")
if mlflow_search_runs != search_runs:
    lines.append(f"\nmlflow's search ran over {mlflow_search_runs} runs (seeding it through its REST API is slow).")
lines.append("\nSeeding (1,000 + search runs + the 100,000-point metric, 8 threads, all servers at once), seconds: "
             + ", ".join(f"{s} {d['seed_seconds']:.0f}" for s, d in seeds.items()) + ".")

path = Path(out)
text = path.read_text() if path.exists() else ""
head = text.split("\n## Peers")[0].rstrip("\n")
# The hand-written profile notes below the table (measured separately) stay until rewritten by hand.
notes = text.partition("\n### Where the time goes")[1:]
path.write_text(head + "\n\n" + "\n".join(lines) + "\n" + "".join(notes))
