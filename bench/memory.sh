#!/usr/bin/env bash
# Peak resident memory of `ngxray lint` with no findings and with many, on
# the same generated config (the one tests/memory.rs builds: per server, 20
# locations with 1 s read and send timeouts, 40 findings of
# timeout/aggressive-read-timeout), for each report format.
#
# Usage: bench/memory.sh [SERVERS]   (default 5000: 13 MB, 200,000 findings)
# Needs: cargo, python3, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
servers="${1:-5000}"
. bench/common.sh
bench_binary
python3 - "$servers" "$work/nginx.conf" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("events {}\nhttp {\n")
    for s in range(n):
        f.write(f"  server {{\n    listen 80;\n    server_name s{s}.example.com;\n")
        for l in range(20):
            f.write(f"    location /a{l} {{ proxy_pass http://127.0.0.1:8080; proxy_read_timeout 1s; "
                    "proxy_connect_timeout 1s; proxy_send_timeout 1s; }\n")
        f.write("  }\n")
    f.write("}\n")
PY
size=$(stat -c %s "$work/nginx.conf")
echo "input: $servers servers, $size bytes; $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
peak() {  # peak RSS in MB of one run (exit status 1: findings)
  local out
  out=$( { /usr/bin/time -f %M "$ngxray" lint "$@" "$work/nginx.conf" > /dev/null; } 2>&1 || true)
  echo "$out" | tail -1 | awk '{printf "%.0f", $1 / 1024}'
}
printf "%-32s %8s %8s\n" "run" "peak MB" "x input"
for args in "--format json --select syntax" "--format json --ignore timeout" \
            "--format json" "--format concise" "--format text" "--format sarif"; do
  # shellcheck disable=SC2086
  mb=$(peak $args)
  printf "%-32s %8s %8s\n" "$args" "$mb" "$(python3 -c "print(f'{$mb * 1048576 / $size:.1f}')")"
done
