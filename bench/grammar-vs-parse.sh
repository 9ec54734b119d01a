#!/usr/bin/env bash
# What grammar validation adds to parsing, end to end: `ngxray lint
# --select syntax` (read, lex, parse; no check runs) against `ngxray lint
# --select grammar` (the same, then grammar validation, unknown-variable
# included), side by side in one hyperfine run on the generated benchmark
# config. Both print the same (empty) JSON report.
#
# The two commands run in turns (`bench/alternate.py`), RUNS rounds
# (default 100): on a shared machine whose speed drifts, both are slowed
# alike. The figure to read is the median of the per-round ratios.
#
# Usage: bench/grammar-vs-parse.sh [SERVERS]   (default 5000)
# Needs: cargo, python3.
# For the library-level split see `cargo bench --bench grammar`.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="${1:-5000}"
runs="${RUNS:-100}"
repo="$PWD"
. bench/common.sh
bench_config "$servers"
"$ngxray" lint --select grammar --format concise nginx.conf > grammar.txt || true
echo "grammar findings: $(grep -c . grammar.txt || true)"

python3 "$repo/bench/alternate.py" "$runs" \
  "parse=$ngxray lint --select syntax --format json nginx.conf" \
  "parse+grammar=$ngxray lint --select grammar --format json nginx.conf"
