"""Writes bench/results/serving-v2.md from the rows bench/serving/v2.sh collected (results.jsonl)."""

import datetime
import json
import os
import statistics
import sys

work, duration, warmup, before, after, rounds, command = sys.argv[1:]

measured = [json.loads(line) for line in open(f"{work}/results.jsonl")]
# Each row's median over the rounds (errors: summed), in the order the rows ran.
labels = list(dict.fromkeys(r["label"] for r in measured))
results = []
for label in labels:
    runs = [r for r in measured if r["label"] == label]
    median = {key: statistics.median(r["result"][key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")}
    spread = f"{min(r['result']['rps'] for r in runs):,.0f}–{max(r['result']['rps'] for r in runs):,.0f}"
    errors = sum(r["result"]["errors"] for r in runs)
    results.append({"label": label, "connections": runs[0]["connections"], "result": {**median, "errors": errors}, "spread": spread})
by_label = {r["label"]: r["result"] for r in results}


def answer(name):
    """The server's answer to the first row; MLServer's only when its rows ran (ROWS)."""
    path = f"{work}/answer-{name}.json"
    return json.load(open(path))["outputs"][0]["data"] if os.path.exists(path) else "(not started)"


def reference(label):
    """What a row is compared with: MLServer on the same transport and size."""
    if "1,000 rows" in label:
        return "MLServer V2 JSON, 1,000 rows"
    return "MLServer gRPC" if "gRPC" in label else "MLServer V2 JSON"


print("# KServe V2 serving benchmark (bench/serving/v2.sh)\n")
print(f"- {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, one run of `{command}`, every server started by the script on the same 2-core machine.")
print(f"- {rounds} rounds of every row (odd rounds forwards, even rounds backwards, each starting one row further on); each figure is the row's median over the rounds (requests/s range beside it).")
print(f"- HTTP: wrk -t1, {duration} per row after {warmup} of the same load unrecorded. gRPC: ghz ModelInfer (typed fp64_contents), 32 concurrent calls on one connection, same durations.")
print(f"- Load average before / after: {before} / {after} (a busy machine lowers every figure; compare within the table).")
print(f"- First-row answers: wharf {answer('wharf')}, MLServer {answer('mlserver')}.\n")
print("| load | connections | requests/s | range | rows/s | p50 ms | p99 ms | errors | × /invocations | × MLServer | MLServer p99 ÷ p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
invocations = by_label.get("wharf /invocations", {}).get("rps")
for r in results:
    res, label = r["result"], r["label"]
    rows = 1000 if "1,000" in label else 1
    ref = by_label.get(reference(label), {})
    is_wharf = label.startswith("wharf")
    vs_invocations = f"{res['rps'] / invocations:.2f}" if is_wharf and rows == 1 and invocations else ""
    vs_mlserver = f"{res['rps'] / ref['rps']:.1f}" if is_wharf and ref.get("rps") else ""
    p99_ratio = f"{ref['p99_ms'] / res['p99_ms']:.1f}" if is_wharf and ref.get("p99_ms") and res["p99_ms"] else ""
    print(
        f"| {label} | {r['connections']} | {res['rps']:,.0f} | {r['spread']} | {res['rps'] * rows:,.0f} | {res['p50_ms']:.2f} | {res['p99_ms']:.2f} | {res['errors']} "
        f"| {vs_invocations} | {vs_mlserver} | {p99_ratio} |"
    )

cost = json.load(open(f"{work}/handler-cost.json"))
print("\nEach protocol's own cost per one-row request, in process (bench/serving/handler-cost.mjs: its route handler")
print("called directly — read, validate, predict, write the reply — best of 7 interleaved rounds of 20,000):\n")
print("| protocol | ns per request | × /invocations |")
print("|---|---|---|")
for name, ns in cost.items():
    print(f"| {name} | {ns:,} | {ns / cost['/invocations']:.2f} |")
