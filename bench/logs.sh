#!/usr/bin/env bash
# Benchmark `ngxray logs` against grep and zcat|grep on the same big,
# production-like error.log, side by side in one run.
#
#   bench/logs.sh [SIZE_MB] [WORKDIR]
#   NGXRAY_BIN=target/profiling/ngxray RUNS=5 bench/logs.sh 256
#
# Generates a SIZE_MB (default 256) error.log with bench/gen_error_log.py
# (varied servers, upstream peers, clients, request paths, message mix,
# some multi-line PHP stack traces), gzips a copy, builds the release
# binary, then times in alternating rounds (each round runs every command
# once, so drift of a shared machine hits them alike):
#   grep -c upstream FILE            vs  ngxray logs --format json FILE
#   zcat FILE.gz | grep -c upstream  vs  ngxray logs --format json FILE.gz
# first on an idle machine, then with one core kept busy by a spin loop,
# and prints the median wall times and the ratios. Peak RSS of ngxray is
# reported from /usr/bin/time -v when installed. Figures are written down
# in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${1:-256}
WORK=${2:-${TMPDIR:-/tmp}/ngxray-logs-bench}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
LOG="$WORK/error.log"
GZ="$WORK/error.log.1.gz"

if [ ! -s "$LOG" ] || [ "$(($(stat -c %s "$LOG") / 1048576))" -lt "$SIZE_MB" ] \
  || [ ! -f "$WORK/.varied" ]; then
  echo "generating ${SIZE_MB} MB log in $LOG" >&2
  python3 bench/gen_error_log.py "$SIZE_MB" "$LOG"
  touch "$WORK/.varied"
  rm -f "$GZ"
fi
if [ ! -s "$GZ" ]; then
  echo "compressing to $GZ" >&2
  gzip -c "$LOG" > "$GZ"
fi

# NGXRAY_BIN: time an already built binary (e.g. target/profiling/ngxray,
# release code with line tables) instead of building the release one.
if [ -n "${NGXRAY_BIN:-}" ]; then
  BIN=$NGXRAY_BIN
else
  cargo build --release --quiet --bin ngxray
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/ngxray
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr)"
echo "input:   $(du -m "$LOG" | cut -f1) MB plain, $(du -m "$GZ" | cut -f1) MB gzip, $(wc -l < "$LOG") lines, $(grep -c upstream "$LOG") with \"upstream\""
cat "$LOG" "$GZ" > /dev/null  # warm the page cache

run() {
  python3 - "$RUNS" "$1" \
    "grep -c upstream $LOG" \
    "$BIN logs --format json $LOG" \
    "zcat $GZ | grep -c upstream" \
    "$BIN logs --format json $GZ" <<'EOF'
import resource, statistics, subprocess, sys, time
rounds, label, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
walls = [[] for _ in cmds]
cpus = [[] for _ in cmds]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
for _ in range(rounds):
    for k, c in enumerate(cmds):
        t, u = time.perf_counter(), cpu()
        # Output goes to a pipe (GNU grep stops at the first match when
        # its output is /dev/null).
        subprocess.run(["sh", "-c", c], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        walls[k].append(time.perf_counter() - t)
        # CPU time (user + system, the whole pipeline): what waiting for a
        # core on a loaded machine does not inflate.
        cpus[k].append(cpu() - u)
med = [statistics.median(w) for w in walls]
best = [min(w) for w in walls]
mcpu = [statistics.median(c) for c in cpus]
print(f"\n{label}: median of {rounds} alternating rounds")
print("| command | median wall | best wall | ratio (median wall) | median CPU (user+sys) |")
print("|---|---:|---:|---:|---:|")
names = ["grep -c upstream error.log", "ngxray logs --format json error.log",
         "zcat error.log.1.gz \\| grep -c upstream", "ngxray logs --format json error.log.1.gz"]
for k, n in enumerate(names):
    base = med[k - k % 2]
    print(f"| `{n}` | {med[k]:.3f} s | {best[k]:.3f} s | {med[k] / base:.2f} | {mcpu[k]:.3f} s |")
print(f"plain: ngxray / grep = {med[1] / med[0]:.2f}x (goal <= 1.5)")
print(f"gzip:  zcat|grep / ngxray = {med[2] / med[3]:.2f}x faster (goal >= 2)")
EOF
}

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the runs"
run "idle (all $(nproc) cores)"

# One core busy: a spin loop started here and stopped by its own pid.
sh -c 'while :; do :; done' &
SPIN=$!
trap 'kill "$SPIN" 2>/dev/null || true' EXIT
run "one core busy"
kill "$SPIN"
wait "$SPIN" 2>/dev/null || true
trap - EXIT

if [ -x /usr/bin/time ]; then
  for f in "$LOG" "$GZ"; do
    rss=$(/usr/bin/time -v "$BIN" logs --format json "$f" 2>&1 > /dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}')
    echo "peak RSS ngxray logs --format json $(basename "$f"): $((rss / 1024)) MB"
  done
else
  echo "peak RSS: /usr/bin/time not installed (apt-get install time)"
fi
