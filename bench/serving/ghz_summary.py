"""ghz's JSON report (-O json) as the summary line bench/serving/post.lua prints for wrk.

Usage: ghz_summary.py LABEL CONCURRENCY REPORT.json [ROUND WHARF_CPU_S]
  ->  {"label", "connections", "round", "wharf_cpu_s", "result": {rps, p50_ms, p99_ms, requests, errors}}
Throughput counts the calls answered OK over the run's time. The calls ghz cancels itself when the
duration ends (one per concurrent worker, reported as Unavailable / Canceled) are not counted as
the server's errors.
"""

import json
import sys

# ghz's own messages for a call it cut off when the duration ended: its context cancelled, or its
# client connection closing under the call (Canceled, seen once in 9 rounds).
CUT_OFF = ("closed network connection", "context canceled", "the client connection is closing")


def is_cut_off(message):
    return any(text in message for text in CUT_OFF)


label, concurrency, path = sys.argv[1:4]
round_, wharf_cpu_s = (int(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else (None, None)
try:
    report = json.load(open(path))
    percentiles = {p["percentage"]: p["latency"] / 1e6 for p in report.get("latencyDistribution") or []}
    codes = report.get("statusCodeDistribution") or {}
    cut_off = sum(n for e, n in (report.get("errorDistribution") or {}).items() if is_cut_off(e))
    ok = codes.get("OK", 0)
    result = {
        "rps": ok / (report["total"] / 1e9),
        "p50_ms": percentiles.get(50, 0),
        "p99_ms": percentiles.get(99, 0),
        "requests": ok,
        "errors": sum(n for c, n in codes.items() if c != "OK") - cut_off,
    }
    # What the counted errors were, so a report can say (ghz's own message per kind).
    kinds = {e: n for e, n in (report.get("errorDistribution") or {}).items() if not is_cut_off(e)}
    if kinds:
        result["error_kinds"] = kinds
except (OSError, ValueError, KeyError):
    result = {"rps": 0, "p50_ms": 0, "p99_ms": 0, "requests": 0, "errors": -1}
print(json.dumps({"label": label, "round": round_, "connections": int(concurrency), "wharf_cpu_s": wharf_cpu_s, "result": result}))
