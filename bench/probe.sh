#!/usr/bin/env bash
# Benchmark `ngxray probe` on many failing backends: what the parallel
# probes with one global deadline buy over probing one by one.
#
#   bench/probe.sh [REFUSED] [SILENT]
#
# Starts SILENT (default 20) loopback listeners that accept into their
# backlog and never answer, writes a config with REFUSED (default 200)
# servers on ports nothing listens on and the SILENT ones, with
# proxy_connect_timeout/proxy_read_timeout 1s, and times `ngxray probe`
# (release build). Probed one by one the silent servers alone would take
# SILENT seconds. Loopback only; the listeners are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

REFUSED=${1:-200}
SILENT=${2:-20}
RUNS=${RUNS:-3}
work="$(mktemp -d)"
cargo build --release --quiet --bin ngxray
ngxray="$PWD/target/release/ngxray"

python3 - "$SILENT" "$work/ports" <<'PY' &
import socket, sys, time
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    socks.append(s)
with open(sys.argv[2], "w") as f:
    f.write("\n".join(str(s.getsockname()[1]) for s in socks))
time.sleep(600)
PY
listeners=$!
trap 'kill $listeners 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done

python3 - "$REFUSED" "$work/ports" "$work/nginx.conf" <<'PY'
import socket, sys
refused, ports, out = int(sys.argv[1]), open(sys.argv[2]).read().split(), sys.argv[3]
# ports nothing listens on: bound, then closed
closed = []
for _ in range(refused):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); closed.append(s)
free = [s.getsockname()[1] for s in closed]
for s in closed:
    s.close()
with open(out, "w") as f:
    f.write("events {}\nhttp {\n  proxy_connect_timeout 1s;\n  proxy_read_timeout 1s;\n")
    f.write("  upstream refused {\n" + "".join(f"    server 127.0.0.1:{p};\n" for p in free) + "  }\n")
    f.write("  upstream silent {\n" + "".join(f"    server 127.0.0.1:{p};\n" for p in ports) + "  }\n")
    f.write("  server {\n    location /a { proxy_pass http://refused; }\n    location /b { proxy_pass http://silent; }\n  }\n}\n")
PY

echo "targets: $REFUSED refused + $SILENT silent (read timeout 1s); $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e s wall, %M KB peak RSS" "$ngxray" probe "$work/nginx.conf" --format json >"$work/out.json" || true
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary'])" "$work/out.json"
done
