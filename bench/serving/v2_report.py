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
invocations_label = "wharf /invocations"


def paired(label, value):
    """The median over the rounds of value(this row's run) / value(/invocations' run of the same
    round), with the range: rows of one round ran minutes apart at most, so a drift in the host's
    load moves both sides of each ratio, where it moves a ratio of medians taken over the whole run."""
    base = {r["round"]: r for r in measured if r["label"] == invocations_label}
    ratios = [value(r) / value(base[r["round"]]) for r in measured if r["label"] == label and base.get(r["round"]) and value(base[r["round"]])]
    return (statistics.median(ratios), min(ratios), max(ratios)) if ratios else None


def cpu_per_request(r):
    """The wharf server's CPU time per request answered in this run, microseconds."""
    return r["wharf_cpu_s"] / r["result"]["requests"] * 1e6 if r.get("wharf_cpu_s") is not None and r["result"]["requests"] else None


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
print("- × /invocations: the median over the rounds of each round's ratio to /invocations' run of the same round (range beside it).")
print("- wharf CPU µs/req: the wharf server's CPU time (user + system, /proc) per request answered, median over the rounds; wrk's is not in it.\n")
print("| load | connections | requests/s | range | rows/s | p50 ms | p99 ms | errors | × /invocations | wharf CPU µs/req | × MLServer | MLServer p99 ÷ p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in results:
    res, label = r["result"], r["label"]
    rows = 1000 if "1,000" in label else 1
    ref = by_label.get(reference(label), {})
    is_wharf = label.startswith("wharf")
    ratio = paired(label, lambda run: run["result"]["rps"]) if is_wharf and rows == 1 else None
    vs_invocations = f"{ratio[0]:.2f} ({ratio[1]:.2f}–{ratio[2]:.2f})" if ratio else ""
    cpus = [c for c in (cpu_per_request(run) for run in measured if run["label"] == label) if c is not None] if is_wharf else []
    cpu = f"{statistics.median(cpus):.1f}" if cpus else ""
    vs_mlserver = f"{res['rps'] / ref['rps']:.1f}" if is_wharf and ref.get("rps") else ""
    p99_ratio = f"{ref['p99_ms'] / res['p99_ms']:.1f}" if is_wharf and ref.get("p99_ms") and res["p99_ms"] else ""
    print(
        f"| {label} | {r['connections']} | {res['rps']:,.0f} | {r['spread']} | {res['rps'] * rows:,.0f} | {res['p50_ms']:.2f} | {res['p99_ms']:.2f} | {res['errors']} "
        f"| {vs_invocations} | {cpu} | {vs_mlserver} | {p99_ratio} |"
    )

mlflow = by_label.get("mlflow models serve /invocations")
if mlflow and mlflow["rps"] and by_label.get(invocations_label):
    wharf = by_label[invocations_label]
    print(f"\n`wharf serve` /invocations against `mlflow models serve` (the same model, sklearn flavor, same requests): "
          f"{wharf['rps'] / mlflow['rps']:,.0f}× its requests/s, p99 {mlflow['p99_ms'] / wharf['p99_ms']:,.0f}× lower.")

kinds = [(r["label"], r["round"], kind, n) for r in measured for kind, n in (r["result"].get("error_kinds") or {}).items()]
if kinds:
    print("\nErrors counted above, by kind (ghz's message):\n")
    for label, round_, kind, n in kinds:
        print(f"- {label}, round {round_}: {n} × {kind}")

cost = json.load(open(f"{work}/handler-cost.json"))
print("\nEach protocol's own cost per one-row request, in process (bench/serving/handler-cost.mjs: its route handler")
print("called directly — read, validate, predict, write the reply — best of 7 interleaved rounds of 20,000):\n")
print("| protocol | ns per request | × /invocations |")
print("|---|---|---|")
for name, ns in cost.items():
    print(f"| {name} | {ns:,} | {ns / cost['/invocations']:.2f} |")
