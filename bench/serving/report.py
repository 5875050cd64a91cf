"""Turns run.sh's results.jsonl into bench/results/serving.md (medians with min–max over rounds, ratios)."""
import datetime
import json
import platform
import statistics
import subprocess
import sys

path, rounds, durations, load_before, load_after, venv = sys.argv[1:7]
duration, warmup = durations.split()
results = [json.loads(line) for line in open(path)]
order = ["limit", "wharf", "wharf-2-workers", "mlflow-models-serve", "flask-gunicorn"]


def runs(server, mode, key):
    return [r["result"][key] for r in results if r["server"] == server and r["mode"] == mode]


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, fmt):
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})" if values else "n/a"


def cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except Exception:  # noqa: BLE001
        return "?"


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
pyv = cmd(f"{venv}/bin/python", "-c", "import mlflow, sklearn, flask, gunicorn, pandas, sys; from importlib.metadata import version as v; print(f'python {sys.version.split()[0]}, mlflow {mlflow.__version__}, scikit-learn {sklearn.__version__}, flask {v(\"flask\")}, gunicorn {gunicorn.__version__}, pandas {pandas.__version__}')")
rps = {s: med(runs(s, "single-c32", "rps")) for s in order}
out = []
out.append("# Serving benchmark\n")
out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
out.append(f"- Machine: {cpu}, {cmd('nproc')} cores, {platform.system()} {platform.release()}; load average before {load_before}, after {load_after} "
           "(the machine is shared with other sessions, whose jobs may run during the benchmark: absolute figures are noisy; compare ratios)")
out.append(f"- Versions: node {cmd('node', '--version')}, {cmd('wrk', '-v') or 'wrk'}, {pyv}")
out.append(f"- Command: `bash bench/serving/run.sh` (ROUNDS={rounds}, DURATION={duration}, WARMUP={warmup}); each figure is the median over {rounds} rounds, (min–max) after it; "
           f"every measurement follows {warmup} of the same load that is not recorded, for every server alike (start-up is the ready-time table)")
out.append("- Workload: diabetes elastic net (10 numeric features), `dataframe_split` JSON, HTTP/1.1 keep-alive, server and wrk on the same machine. "
           "Wharf serves the model trained by `wharf train`; MLflow and Flask serve the same coefficients as a scikit-learn ElasticNet (`mlflow.sklearn`).")
out.append("- Load: `wrk -t1 -c32` single rows; `wrk -t1 -c1` single rows (latency at one connection); `wrk -t1 -c8` 1,000-row requests (rows/s = requests/s × 1000).\n")
out.append("## Single-row requests, 32 connections\n")
out.append("| server | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | × limit | × mlflow models serve | errors |")
out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for s in order:
    r = runs(s, "single-c32", "rps")
    errs = sum(runs(s, "single-c32", "errors"))
    out.append(f"| {s} | {spread(r, '{:,.0f}')} | {spread(runs(s, 'single-c32', 'p50_ms'), '{:.2f}')} | {spread(runs(s, 'single-c32', 'p99_ms'), '{:.2f}')} | "
               f"{spread(runs(s, 'single-c32', 'p999_ms'), '{:.1f}')} | {spread(runs(s, 'single-c32', 'max_ms'), '{:.1f}')} | "
               f"{rps[s] / rps['limit']:.2f} | {rps[s] / rps['mlflow-models-serve']:.1f} | {errs} |")
out.append("\nThe p99.9 and max columns show the host's stalls: a pause of the whole VM delays every request in flight, the bare limit's too.")
out.append("\n## Single-row requests, one connection\n")
out.append("| server | requests/s | p50 ms | p99 ms |")
out.append("| --- | --- | --- | --- |")
for s in order:
    out.append(f"| {s} | {spread(runs(s, 'single-c1', 'rps'), '{:,.0f}')} | {spread(runs(s, 'single-c1', 'p50_ms'), '{:.3f}')} | {spread(runs(s, 'single-c1', 'p99_ms'), '{:.3f}')} |")
out.append("\n## 1,000-row requests, 8 connections\n")
out.append("| server | rows/s | p50 ms | p99 ms | × mlflow models serve |")
out.append("| --- | --- | --- | --- | --- |")
batch = {s: med(runs(s, "batch-c8", "rps")) * 1000 for s in order}
for s in order[1:]:
    rows = [x * 1000 for x in runs(s, "batch-c8", "rps")]
    out.append(f"| {s} | {spread(rows, '{:,.0f}')} | {spread(runs(s, 'batch-c8', 'p50_ms'), '{:.2f}')} | {spread(runs(s, 'batch-c8', 'p99_ms'), '{:.2f}')} | {batch[s] / batch['mlflow-models-serve']:.1f} |")
out.append("\n## Start to ready (spawn until the health route answers 200; 3 cold starts, local model folder)\n")
out.append("| server | seconds |")
out.append("| --- | --- |")
for s in order:
    out.append(f"| {s} | {spread([r['seconds'] for r in results if r['server'] == s and r['mode'] == 'ready'], '{:.3f}')} |")
out.append("\n## Answers for the first row (the servers agree)\n")
for r in results:
    if r["mode"] == "answer":
        out.append(f"- {r['server']}: `{r['body'].strip()[:120]}`")
best = max(("wharf", "wharf-2-workers"), key=lambda k: rps[k])
ready = med([r["seconds"] for r in results if r["server"] == "wharf" and r["mode"] == "ready"])
out.append("\n## Against the targets\n")
out.append(f"- Throughput: {rps['wharf'] / rps['limit']:.2f} × the limit with one worker, {rps['wharf-2-workers'] / rps['limit']:.2f} with two (target 0.6); "
           f"{rps[best] / rps['mlflow-models-serve']:.0f} × mlflow models serve (target 10).")
out.append(f"- p99 at 32 connections: {med(runs('wharf', 'single-c32', 'p99_ms')):.2f} ms with one worker, {med(runs('wharf-2-workers', 'single-c32', 'p99_ms')):.2f} with two "
           f"(target 2; the bare node:http limit: {med(runs('limit', 'single-c32', 'p99_ms')):.2f} ms in the same run); at one connection: {med(runs('wharf', 'single-c1', 'p99_ms')):.3f} ms (target 0.5).")
out.append(f"- 1,000-row batches: {batch['wharf']:,.0f} rows/s with one worker, {batch['wharf-2-workers']:,.0f} with two (target 1,000,000); "
           "the body's 10,000 numbers are read by WebAssembly (src/serving/numeric-rows.ts).")
out.append(f"- Ready: {ready:.3f} s for a local model folder (target 0.5).")
out.append("\nTargets (docs/performance.md): ≥ 0.6 × the limit and ≥ 10 × mlflow models serve at 32 connections; p99 ≤ 2 ms at 32 connections; "
           "p99 ≤ 0.5 ms at one connection; ≥ 1,000,000 rows/s in 1,000-row batches; ready ≤ 0.5 s.")
print("\n".join(out))
