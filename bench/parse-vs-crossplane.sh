#!/usr/bin/env bash
# Time `ngxray parse --format crossplane --single-file` against
# `crossplane parse --single-file` (python crossplane 0.5.8) on the generated
# benchmark config, side by side in one run, check that both print the same
# tree, and measure ngxray's peak memory against input size.
#
# Usage: bench/parse-vs-crossplane.sh [SERVERS]   (default 5000)
# Needs: cargo, python3 with crossplane 0.5.8 (pip install crossplane==0.5.8),
# GNU time (/usr/bin/time); hyperfine when available (apt-get install hyperfine),
# otherwise a plain best-of-N loop is used.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="${1:-5000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin ngxray --example gen-config
ngxray="$PWD/target/release/ngxray"
gen="$PWD/target/release/examples/gen-config"

conf="$work/nginx.conf"
"$gen" "$servers" "$conf"
bytes=$(stat -c %s "$conf")
echo "input: $servers servers, $bytes bytes ($(awk "BEGIN{printf \"%.2f\", $bytes/1048576}") MiB)"

have_crossplane=1
if ! python3 -c 'import crossplane' 2>/dev/null; then
  have_crossplane=0
  echo "crossplane not installed: timing ngxray only"
fi

cd "$work"
if [ "$have_crossplane" = 1 ]; then
  # Same tree? crossplane's CLI also runs its directive-table checks, which
  # only add errors and drop the offending statements; compare with the
  # library call that turns them off (what ngxray reproduces).
  "$ngxray" parse --format crossplane --single-file nginx.conf > ngxray.json || true
  python3 -c 'import sys, json, crossplane
p = crossplane.parse("nginx.conf", single=True, check_ctx=False, check_args=False)
sys.stdout.write(json.dumps(p, separators=(",", ":")) + "\n")' > crossplane.json
  if cmp -s ngxray.json crossplane.json; then
    echo "output: identical to crossplane.parse(check_ctx=False, check_args=False) ($(stat -c %s ngxray.json) bytes)"
  else
    echo "output: DIFFERS from crossplane" >&2
  fi
fi

ng_cmd="$ngxray parse --format crossplane --single-file nginx.conf"
cp_cmd="crossplane parse --single-file nginx.conf"
if command -v hyperfine >/dev/null 2>&1; then
  if [ "$have_crossplane" = 1 ]; then
    hyperfine --warmup 1 --runs 5 --ignore-failure --export-markdown times.md --export-json times.json \
      -n ngxray "$ng_cmd > /dev/null" -n crossplane "$cp_cmd > /dev/null"
    # On a shared machine wall time includes waiting for a CPU: also
    # compare CPU time (user + system), which waiting does not inflate.
    python3 -c 'import json
r = {x["command"]: x for x in json.load(open("times.json"))["results"]}
wall = {k: v["min"] for k, v in r.items()}
print("best wall: ngxray %.1f ms, crossplane %.1f ms -> %.0fx" % (wall["ngxray"]*1e3, wall["crossplane"]*1e3, wall["crossplane"]/wall["ngxray"]))
print("mean CPU:  ngxray %.1f ms, crossplane %.1f ms -> %.0fx" % (r["ngxray"]["user"]*1e3 + r["ngxray"]["system"]*1e3,
      r["crossplane"]["user"]*1e3 + r["crossplane"]["system"]*1e3,
      (r["crossplane"]["user"] + r["crossplane"]["system"]) / (r["ngxray"]["user"] + r["ngxray"]["system"])))' || true
  else
    hyperfine --warmup 2 --runs 10 --ignore-failure --export-markdown times.md \
      -n ngxray "$ng_cmd > /dev/null"
  fi
  cat times.md
else
  best() {
    local b=999999 t0 t1 ms
    for _ in 1 2 3 4 5; do
      t0=$(date +%s%N); eval "$1" > /dev/null || true; t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 )); [ "$ms" -lt "$b" ] && b=$ms
    done
    echo "$b"
  }
  ng=$(best "$ng_cmd")
  echo "ngxray: best of 5 = ${ng} ms"
  if [ "$have_crossplane" = 1 ]; then
    cp=$(best "$cp_cmd")
    echo "crossplane: best of 5 = ${cp} ms (ngxray is $(awk "BEGIN{printf \"%.0f\", $cp/($ng>0?$ng:1)}")x faster)"
  fi
fi

echo
echo "peak memory (max RSS) against input size:"
printf '%-8s %12s %14s %14s %8s\n' servers input_bytes crossplane_kib lint_kib ratio
for n in 500 1000 2500 5000 10000; do
  "$gen" "$n" "mem.conf"
  in=$(stat -c %s mem.conf)
  # (exit status 1 = the config has findings; only the memory matters here)
  rss_cp=$( { /usr/bin/time -f '%M' "$ngxray" parse --format crossplane --single-file mem.conf > /dev/null || true; } 2>&1 | tail -1)
  rss_lint=$( { /usr/bin/time -f '%M' "$ngxray" lint --format json mem.conf > /dev/null || true; } 2>&1 | tail -1)
  ratio=$(awk "BEGIN{printf \"%.2f\", $rss_cp*1024/$in}")
  printf '%-8s %12s %14s %14s %8s\n' "$n" "$in" "$rss_cp" "$rss_lint" "$ratio"
done
echo "(ratio = crossplane-format max RSS / input size; lint shown for comparison)"
