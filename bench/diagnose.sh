#!/usr/bin/env bash
# Benchmark `ngxray diagnose` on a big access.log + error.log against the
# usual shell answer to "what did clients get":
#
#   awk '{print $9}' access.log | sort | uniq -c      (combined-format status)
#
#   bench/diagnose.sh [ACCESS_MB] [ERROR_MB] [WORKDIR]
#
# Generates ACCESS_MB (default 1024) of access.log in the `diag` format of
# bench/diagnose.conf (upstream variables included; about 3 % of requests fail
# over to another peer or end in 502/504) and ERROR_MB (default 256) of
# error.log whose failure lines match those requests, then times both
# commands side by side (hyperfine when installed, else a time loop) and
# prints the ratio. The awk pipeline reads field 9 of a combined-format log;
# the generated `diag` format keeps $status as field 9 as well, so both read
# the same file. Figures are written down in docs/diagnose.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCESS_MB=${1:-1024}
ERROR_MB=${2:-256}
WORK=${3:-${TMPDIR:-/tmp}/ngxray-diagnose-bench}
RUNS=${RUNS:-3}
mkdir -p "$WORK"
ACC="$WORK/access.log"
ERR="$WORK/error.log"
cp bench/diagnose.conf "$WORK/nginx.conf"

if [ ! -s "$ACC" ] || [ "$(($(stat -c %s "$ACC") / 1048576))" -lt "$ACCESS_MB" ]; then
  echo "generating ${ACCESS_MB} MB access.log and up to ${ERROR_MB} MB error.log in $WORK" >&2
  python3 - "$ACCESS_MB" "$ERROR_MB" "$ACC" "$ERR" <<'EOF'
import datetime, random, sys
acc_size = int(sys.argv[1]) * 1024 * 1024
err_size = int(sys.argv[2]) * 1024 * 1024
rnd = random.Random(7)
start = datetime.datetime(2026, 3, 14)
paths = ["/api/orders/%d", "/api/users/%d", "/static/app.%d.js", "/slow/report/%d", "/index.php?id=%d"]
peers = {"/api": ["10.0.0.1:8080", "10.0.0.2:8080"], "/slo": ["10.0.1.1:8080"], "/sta": ["10.0.0.1:8080", "10.0.0.2:8080"], "/ind": ["unix:/run/php/fpm.sock"]}
written = err_written = 0
n = 0
with open(sys.argv[3], "w") as a, open(sys.argv[4], "w") as e:
    while written < acc_size:
        lines, errs = [], []
        for _ in range(10000):
            t = start + datetime.timedelta(seconds=n // 200)
            tl = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
            te = t.strftime("%Y/%m/%d %H:%M:%S")
            p = rnd.choice(paths) % rnd.randrange(100000)
            ps = peers[p[:4]]
            req = "GET %s HTTP/1.1" % p
            r = rnd.random()
            if r < 0.02 and len(ps) > 1:
                up, us, st, urt = "%s, %s" % (ps[0], ps[1]), "502, 200", 200, "0.000, 0.031"
                errs.append((te, "connect() failed (111: Connection refused) while connecting to upstream", ps[0], req, n))
            elif r < 0.025:
                up, us, st, urt = ps[0], "504", 504, "5.001"
                errs.append((te, "upstream timed out (110: Connection timed out) while reading response header from upstream", ps[0], req, n))
            elif r < 0.03:
                up, us, st, urt = ps[0], "502", 502, "0.000"
                errs.append((te, "connect() failed (111: Connection refused) while connecting to upstream", ps[0], req, n))
            else:
                up, us, st, urt = ps[0], "200", 200, "%.3f" % rnd.expovariate(20)
            lines.append('10.%d.%d.%d - - [%s] "%s" %d %d "-" "Mozilla/5.0" host=shop.example.test up=%s us=%s urt=%s rt=%s cn=%d\n'
                         % (rnd.randrange(4), rnd.randrange(256), rnd.randrange(256), tl, req, st, rnd.randrange(20000), up, us, urt, urt.split(", ")[-1], n))
            n += 1
        block = "".join(lines)
        a.write(block)
        written += len(block)
        for te, msg, peer, req, cid in errs:
            if err_written >= err_size:
                break
            scheme = "fastcgi" if peer.startswith("unix:") else "http"
            # nginx writes unix peers as `fastcgi://unix:/path:`
            uri = ":" if peer.startswith("unix:") else req.split(" ")[1]
            l = '%s [error] 7#7: *%d %s, client: 10.0.0.9, server: shop.example.test, request: "%s", upstream: "%s://%s%s", host: "shop.example.test"\n' % (te, cid, msg, req, scheme, peer, uri)
            e.write(l)
            err_written += len(l)
EOF
fi

cargo build --release --quiet
BIN=target/release/ngxray
echo "machine: $(nproc) cores; $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input:   access.log $(du -m "$ACC" | cut -f1) MB ($(wc -l < "$ACC") lines), error.log $(du -m "$ERR" | cut -f1) MB"
cat "$ACC" "$ERR" > /dev/null
AWK="awk '{print \$9}' $ACC | sort | uniq -c"
DIAG="$BIN diagnose --config $WORK/nginx.conf --format json $ACC $ERR"
if command -v hyperfine > /dev/null; then
  hyperfine --output=pipe --warmup 1 --runs "$RUNS" -n awk "$AWK" -n diagnose "$DIAG"
else
  t() { local s e; s=$(date +%s.%N); for _ in $(seq "$RUNS"); do bash -c "$1" > /dev/null; done; e=$(date +%s.%N); echo "scale=3; ($e - $s) / $RUNS" | bc; }
  a=$(t "$AWK"); d=$(t "$DIAG")
  echo "awk | sort | uniq -c: ${a} s (mean of $RUNS)"
  echo "ngxray diagnose:      ${d} s (mean of $RUNS)"
  echo "ratio diagnose/awk:   $(echo "scale=2; $d / $a" | bc)"
fi
rss=$(/usr/bin/time -v $DIAG 2>&1 > /dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}')
echo "peak RSS ngxray diagnose: $((rss / 1024)) MB"
