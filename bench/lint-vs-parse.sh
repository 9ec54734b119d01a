#!/usr/bin/env bash
# Time a full `ngxray lint` of the generated benchmark config against
# ngxray's own parse and against crossplane's parse, side by side in one
# hyperfine run, and print the ratios (wall and CPU).
#
# Usage: bench/lint-vs-parse.sh [SERVERS]   (default 5000)
# Needs: cargo, hyperfine (apt-get install hyperfine); python3 with
# crossplane 0.5.8 for the crossplane column, nginx and openssl for the
# `nginx -t` column (each skipped when absent).
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
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -x "$nginx_bin" ] && command -v openssl >/dev/null; then
  # nginx -t loads every certificate and opens every log: give it one
  # self-signed pair for all 5,000 hosts and logs under the work folder.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench \
    -keyout bench.key -out bench.crt 2> /dev/null
  sed -e "s#/etc/nginx/tls/[^;]*\.crt#$PWD/bench.crt#; s#/etc/nginx/tls/[^;]*\.key#$PWD/bench.key#" \
      -e "s#/var/log/nginx/#$PWD/#; s#/run/nginx.pid#$PWD/nginx.pid#" nginx.conf > nginx-t.conf
  "$nginx_bin" -t -q -p "$PWD/" -e "$PWD/e.log" -c "$PWD/nginx-t.conf"
  cmds+=(-n nginx-t "$nginx_bin -t -q -p $PWD/ -e $PWD/e.log -c $PWD/nginx-t.conf")
else
  echo "nginx or openssl not installed: no nginx -t column"
fi
hyperfine -N --warmup 2 --runs "$runs" --ignore-failure --export-json times.json "${cmds[@]}" > /dev/null
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("times.json"))["results"]}
cpu = lambda k: r[k]["user"] + r[k]["system"]
# The median beside the mean: on a shared machine one stalled run in
# fifteen moves the mean of a 60 ms command by several percent.
print("%-14s %10s %10s %10s %10s" % ("command", "mean ms", "median ms", "best ms", "CPU ms"))
for k, v in r.items():
    print("%-14s %10.1f %10.1f %10.1f %10.1f" % (
        k, v["mean"] * 1e3, v["median"] * 1e3, v["min"] * 1e3, cpu(k) * 1e3))
def ratio(a, b, fmt):
    x, y = r[a], r[b]
    return (fmt + " mean wall, " + fmt + " median wall, " + fmt + " best wall, " + fmt + " CPU") % (
        x["mean"] / y["mean"], x["median"] / y["median"], x["min"] / y["min"], cpu(a) / cpu(b))
for k in ("lint-json", "lint-concise", "lint-text"):
    print("%s / parse: %s" % (k, ratio(k, "parse", "%.2fx")))
if "crossplane" in r:
    print("crossplane parse / lint-json: %s" % ratio("crossplane", "lint-json", "%.1fx"))
if "nginx-t" in r:
    print("nginx -t / lint-json: %s" % ratio("nginx-t", "lint-json", "%.1fx"))
PY
