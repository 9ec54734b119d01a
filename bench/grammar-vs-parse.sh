#!/usr/bin/env bash
# What grammar validation adds to parsing, end to end: `ngxray lint
# --select syntax` (read, lex, parse; no check runs) against `ngxray lint
# --select grammar` (the same, then grammar validation, unknown-variable
# included), side by side in one hyperfine run on the generated benchmark
# config. Both print the same (empty) JSON report.
#
# Usage: bench/grammar-vs-parse.sh [SERVERS]   (default 5000)
# Needs: cargo, hyperfine (apt-get install hyperfine).
# For the library-level split see `cargo bench --bench grammar`.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="${1:-5000}"
runs="${RUNS:-60}"
. bench/common.sh
bench_config "$servers"
"$ngxray" lint --select grammar --format concise nginx.conf > grammar.txt || true
echo "grammar findings: $(grep -c . grammar.txt || true)"

hyperfine -N --warmup 5 --runs "$runs" --ignore-failure --export-json times.json \
  -n parse "$ngxray lint --select syntax --format json nginx.conf" \
  -n parse+grammar "$ngxray lint --select grammar --format json nginx.conf" > /dev/null
python3 - <<'PY'
import json, statistics
r = {x["command"]: x for x in json.load(open("times.json"))["results"]}
cpu = lambda k: r[k]["user"] + r[k]["system"]
print("%-14s %10s %10s %10s %10s" % ("command", "mean ms", "median ms", "best ms", "CPU ms"))
for k, v in r.items():
    print("%-14s %10.1f %10.1f %10.1f %10.1f" % (k, v["mean"] * 1e3, v["median"] * 1e3, v["min"] * 1e3, cpu(k) * 1e3))
p, g = r["parse"], r["parse+grammar"]
pct = lambda a, b: 100.0 * (a - b) / b
print("grammar adds: mean %+.1f%%, median %+.1f%%, best %+.1f%%, CPU %+.1f%% of parse" % (
    pct(g["mean"], p["mean"]), pct(g["median"], p["median"]), pct(g["min"], p["min"]), pct(cpu("parse+grammar"), cpu("parse"))))
PY
