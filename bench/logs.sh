#!/usr/bin/env bash
# Benchmark `ngxray logs` against grep and zcat|grep on the same big error.log.
#
#   bench/logs.sh [SIZE_MB] [WORKDIR]
#
# Generates a SIZE_MB (default 260) error.log by repeating the real-looking
# lines of testdata/logs/sample.error.log with advancing timestamps, gzips a
# copy, builds the release binary, then times side by side (hyperfine when
# installed, else a /usr/bin/time loop):
#   grep -c upstream FILE            vs  ngxray logs --format json FILE
#   zcat FILE.gz | grep -c upstream  vs  ngxray logs --format json FILE.gz
# and reports the peak RSS of ngxray on both (/usr/bin/time -v).
# Figures are written down in docs/logs.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${1:-260}
WORK=${2:-${TMPDIR:-/tmp}/ngxray-logs-bench}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
LOG="$WORK/error.log"
GZ="$WORK/error.log.1.gz"

if [ ! -s "$LOG" ] || [ "$(($(stat -c %s "$LOG") / 1048576))" -lt "$SIZE_MB" ]; then
  echo "generating ${SIZE_MB} MB log in $LOG" >&2
  python3 - "$SIZE_MB" "$LOG" testdata/logs/sample.error.log <<'EOF'
import datetime, random, re, sys
# Real-looking variety (connection ids, client addresses, ids in URIs) so
# that gzip ratios and group/request counts look like a real log's.
size = int(sys.argv[1]) * 1024 * 1024
out, src = sys.argv[2], sys.argv[3]
lines = open(src, encoding="utf-8", errors="replace").read().splitlines()
stamp = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d")
cid = re.compile(r"\*\d+ ")
client = re.compile(r"client: [0-9a-f.:]+,")
ids = re.compile(r"(id=|/)(\d+)\b(?!\.)")
# Only inside the request line and the upstream URI path, not in addresses.
fields = re.compile(r'(request: "|upstream: "[a-z]+://[^/"]*)([^"]*)')
rnd = random.Random(42)
start = datetime.datetime(2024, 3, 14)
written, n = 0, 0
with open(out, "w", encoding="utf-8") as f:
    while written < size:
        chunk = []
        for line in lines:
            # 20 lines per second of log time.
            ts = (start + datetime.timedelta(seconds=n // 20)).strftime("%Y/%m/%d %H:%M:%S")
            line = stamp.sub(ts, line, count=1)
            line = cid.sub("*%d " % (n // 3), line, count=1)
            line = client.sub("client: 10.%d.%d.%d," % (rnd.randrange(4), rnd.randrange(256), rnd.randrange(256)), line, count=1)
            k = rnd.randrange(5000)
            line = fields.sub(lambda f: f.group(1) + ids.sub(lambda m: m.group(1) + str(k), f.group(2)), line)
            chunk.append(line)
            n += 1
        block = "\n".join(chunk) + "\n"
        f.write(block)
        written += len(block.encode())
EOF
  rm -f "$GZ"
fi
if [ ! -s "$GZ" ]; then
  echo "compressing to $GZ" >&2
  gzip -c "$LOG" > "$GZ"
fi

cargo build --release --quiet
BIN=target/release/ngxray

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr)"
echo "input:   $(du -m "$LOG" | cut -f1) MB plain, $(du -m "$GZ" | cut -f1) MB gzip, $(wc -l < "$LOG") lines"
# Warm the page cache.
cat "$LOG" "$GZ" > /dev/null

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the runs"
if command -v hyperfine > /dev/null; then
  # --output=pipe: GNU grep stops at the first match when stdout is /dev/null.
  hyperfine --output=pipe --warmup 1 --runs "$RUNS" --export-json "$WORK/plain.json" \
    -n "grep -c upstream" "grep -c upstream $LOG" \
    -n "ngxray logs --format json" "$BIN logs --format json $LOG"
  hyperfine --output=pipe --warmup 1 --runs "$RUNS" --export-json "$WORK/gz.json" \
    -n "zcat | grep -c upstream" "zcat $GZ | grep -c upstream" \
    -n "ngxray logs --format json (gz)" "$BIN logs --format json $GZ"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the runs"
  # Wall (mean and best) and CPU (user + system) side by side, with ratios
  # to the first command of each pair.
  python3 - "$WORK/plain.json" "$WORK/gz.json" <<'EOF'
import json, sys
print("| command | mean wall | best wall | CPU (user+sys) | mean wall ratio | best wall ratio |")
print("|---|---:|---:|---:|---:|---:|")
for path in sys.argv[1:]:
    rs = json.load(open(path))["results"]
    base = rs[0]
    for r in rs:
        cpu = r["user"] + r["system"]
        print(f"| `{r['command']}` | {r['mean']:.3f} s ± {r['stddev']:.3f} | {r['min']:.3f} s | {cpu:.3f} s "
              f"| {r['mean'] / base['mean']:.2f} | {r['min'] / base['min']:.2f} |")
EOF
else
  t() { local s e; s=$(date +%s.%N); for _ in $(seq "$RUNS"); do bash -c "$1" | cat > /dev/null; done; e=$(date +%s.%N); echo "$(echo "($e - $s) / $RUNS" | bc -l | cut -c1-6) s  $1"; }
  t "grep -c upstream $LOG"
  t "$BIN logs --format json $LOG"
  t "zcat $GZ | grep -c upstream"
  t "$BIN logs --format json $GZ"
fi

for f in "$LOG" "$GZ"; do
  rss=$(/usr/bin/time -v "$BIN" logs --format json "$f" 2>&1 > /dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}')
  echo "peak RSS ngxray logs --format json $(basename "$f"): $((rss / 1024)) MB"
done
