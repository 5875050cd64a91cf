#!/usr/bin/env bash
# Checks deploy/monitoring/ with Prometheus's own tools (promtool, from Debian's prometheus package,
# installed here when missing): the configuration and the alert rules parse, the rules' unit tests
# (alert-rules.test.yml) pass, and every PromQL expression of the Grafana dashboard parses. The
# dashboard's Grafana variables are replaced by values Prometheus accepts before parsing.
# Which metric names exist is checked against a real server by src/monitor/drift-monitoring.test.ts.
set -euo pipefail
cd "$(dirname "$0")/../deploy/monitoring"
if ! command -v promtool >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool check config prometheus.yml
promtool test rules alert-rules.test.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The dashboard's expressions as recording rules, so `promtool check rules` parses each one.
node - grafana-dashboard.json >"$work/dashboard-rules.yml" <<'JS'
const dashboard = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'))
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))
if (exprs.length === 0) throw new Error('the dashboard has no expressions')
const concrete = (e) => e.replaceAll('$__rate_interval', '5m').replaceAll('$model', '.*').replaceAll('$environment', '.*')
console.log('groups:\n  - name: dashboard\n    rules:')
exprs.forEach((e, i) => console.log(`      - record: dashboard:panel_expr_${i}\n        expr: ${JSON.stringify(concrete(e))}`))
JS
promtool check rules "$work/dashboard-rules.yml"
