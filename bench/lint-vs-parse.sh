#!/usr/bin/env bash
# Time a full `ngxray lint` of the generated benchmark config against
# ngxray's own parse and against crossplane's parse, side by side in one
# hyperfine run, and print the ratios (wall and CPU).
#
# Usage: bench/lint-vs-parse.sh [SERVERS]   (default 5000)
# Needs: cargo, hyperfine (apt-get install hyperfine); python3 with
# crossplane 0.5.8 for the crossplane column (skipped when absent).
#
# "parse" is `ngxray parse --format crossplane --single-file` (read, lex,
# parse, print the tree); "lint" is `ngxray lint --format json` (read, lex,
# parse, grammar validation, the config model, every rule, and the JSON
# document of every finding). For the library-level split without output
# see `cargo bench --bench lint`.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="${1:-5000}"
runs="${RUNS:-15}"
. bench/common.sh
bench_config "$servers"
echo "findings: $("$ngxray" lint --format concise nginx.conf | wc -l) (exit status 1 expected)"

cmds=(-n parse "$ngxray parse --format crossplane --single-file nginx.conf"
      -n lint-json "$ngxray lint --format json nginx.conf"
      -n lint-concise "$ngxray lint --format concise nginx.conf"
      -n lint-text "$ngxray lint nginx.conf")
if python3 -c 'import crossplane' 2>/dev/null; then
  cmds+=(-n crossplane "crossplane parse --single-file nginx.conf")
else
  echo "crossplane not installed: no crossplane column"
fi
hyperfine -N --warmup 2 --runs "$runs" --ignore-failure --export-json times.json "${cmds[@]}" > /dev/null
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("times.json"))["results"]}
cpu = lambda k: r[k]["user"] + r[k]["system"]
print("%-14s %10s %10s %10s" % ("command", "mean ms", "best ms", "CPU ms"))
for k, v in r.items():
    print("%-14s %10.1f %10.1f %10.1f" % (k, v["mean"] * 1e3, v["min"] * 1e3, cpu(k) * 1e3))
for k in ("lint-json", "lint-concise", "lint-text"):
    print("%s / parse: mean wall %.2fx, best wall %.2fx, CPU %.2fx" % (
        k, r[k]["mean"] / r["parse"]["mean"], r[k]["min"] / r["parse"]["min"], cpu(k) / cpu("parse")))
if "crossplane" in r:
    c = r["crossplane"]
    print("crossplane parse / lint-json: mean wall %.1fx, best wall %.1fx, CPU %.1fx" % (
        c["mean"] / r["lint-json"]["mean"], c["min"] / r["lint-json"]["min"], cpu("crossplane") / cpu("lint-json")))
PY
