#!/usr/bin/env bash
# Whole-process start-up, side by side with `nginx -t`: what a pre-commit
# hook or a CI step feels on a small config. Times `ngxray --version`
# (loading the binary and nothing else), `ngxray lint` of the 30-line
# bench/small.conf, and `nginx -t` of the same file, in one hyperfine run.
#
# Usage: bench/startup.sh
# Needs: cargo, hyperfine (apt-get install hyperfine); nginx for its column
# (skipped when absent).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-200}"
. bench/common.sh
bench_binary
conf="$PWD/bench/small.conf"
echo "$(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg); binary $(stat -c %s "$ngxray") bytes"
"$ngxray" lint --format concise "$conf" > /dev/null

cmds=(-n version "$ngxray --version"
      -n lint-small "$ngxray lint --format concise $conf")
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -x "$nginx_bin" ]; then
  cmds+=(-n nginx-t "$nginx_bin -t -q -p $work/ -e $work/error.log -c $conf")
else
  echo "nginx not installed: no nginx -t column"
fi
hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/times.json" "${cmds[@]}" > /dev/null
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print("%-12s %9s %9s %9s" % ("command", "mean ms", "best ms", "CPU ms"))
for k, v in r.items():
    print("%-12s %9.2f %9.2f %9.2f" % (k, v["mean"] * 1e3, v["min"] * 1e3, (v["user"] + v["system"]) * 1e3))
if "nginx-t" in r:
    print("nginx -t / lint-small: mean wall %.1fx" % (r["nginx-t"]["mean"] / r["lint-small"]["mean"]))
PY
