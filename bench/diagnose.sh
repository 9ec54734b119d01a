#!/usr/bin/env bash
# Benchmark `ngxray diagnose` on a big access.log + error.log against the
# usual shell answer to "what did clients get", and against `ngxray logs`
# reading the same error.log:
#
#   awk '{print $9}' access.log | sort | uniq -c      (combined-format status)
#   ngxray logs --format json error.log
#
#   bench/diagnose.sh [ACCESS_MB] [ERROR_MB] [WORKDIR]
#
# Generates ACCESS_MB (default 1024) of access.log in the `diag` format of
# bench/diagnose.conf (upstream variables included; about 3 % of requests fail
# over to another peer or end in 502/504) and ERROR_MB (default 256) of
# error.log: the failure lines that match those requests, interleaved in time
# with the varied lines a busy error.log also holds (404 open() failures,
# buffered-to-temp-file warnings, client timeouts and resets, limit_req,
# SSL handshake noise, too-large bodies, upstream "sent invalid header",
# disabled peers) until ERROR_MB is reached. Then times the three commands
# side by side with /usr/bin/time (wall and CPU, mean of RUNS) and prints the
# ratios. The awk pipeline reads field 9 of a combined-format log; the
# generated `diag` format keeps $status as field 9 as well, so both read the
# same file. Figures are written down in docs/diagnose.md.
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

# (the error.log stops a line short of ERROR_MB: 1 % slack)
size() { if [ -s "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
if [ "$(size "$ACC")" -lt $((ACCESS_MB * 1048576)) ] \
  || [ "$(size "$ERR")" -lt $((ERROR_MB * 1048576 * 99 / 100)) ]; then
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
def filler(te, rnd):
    cid = rnd.randrange(1, 10**7)
    ip = "10.%d.%d.%d" % (rnd.randrange(4), rnd.randrange(256), rnd.randrange(256))
    tail = 'client: %s, server: shop.example.test, request: "GET /api/orders/%d HTTP/1.1", host: "shop.example.test"' % (ip, rnd.randrange(100000))
    k = rnd.randrange(10)
    if k == 0:
        return '%s [error] 7#7: *%d open() "/srv/shop/static/app.%d.js" failed (2: No such file or directory), %s\n' % (te, cid, rnd.randrange(999), tail)
    if k == 1:
        return '%s [warn] 7#7: *%d an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/%d/00/%010d while reading upstream, %s, upstream: "http://10.0.0.1:8080/api/orders/1"\n' % (te, cid, rnd.randrange(10), rnd.randrange(10**9), tail)
    if k == 2:
        return '%s [info] 7#7: *%d client timed out (110: Connection timed out) while waiting for request, client: %s, server: 0.0.0.0:443\n' % (te, cid, ip)
    if k == 3:
        return '%s [info] 7#7: *%d recv() failed (104: Connection reset by peer) while reading client request line, client: %s, server: 0.0.0.0:80\n' % (te, cid, ip)
    if k == 4:
        return '%s [error] 7#7: *%d limiting requests, excess: %d.%03d by zone "perip", %s\n' % (te, cid, rnd.randrange(20), rnd.randrange(1000), tail)
    if k == 5:
        return '%s [info] 7#7: *%d SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: %s, server: 0.0.0.0:443\n' % (te, cid, ip)
    if k == 6:
        return '%s [error] 7#7: *%d client intended to send too large body: %d bytes, %s\n' % (te, cid, rnd.randrange(2 * 10**6, 10**8), tail)
    if k == 7:
        return '%s [error] 7#7: *%d upstream sent invalid header: "X-Bad\\x01" while reading response header from upstream, %s, upstream: "http://10.0.0.2:8080/api/orders/2"\n' % (te, cid, tail)
    if k == 8:
        return '%s [warn] 7#7: *%d upstream server temporarily disabled while connecting to upstream, %s, upstream: "http://10.0.0.2:8080/api/orders/3"\n' % (te, cid, tail)
    return '%s [notice] 7#7: signal process started\n' % te

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
        out = []
        for te, msg, peer, req, cid in errs:
            scheme = "fastcgi" if peer.startswith("unix:") else "http"
            # nginx writes unix peers as `fastcgi://unix:/path:`
            uri = ":" if peer.startswith("unix:") else req.split(" ")[1]
            out.append('%s [error] 7#7: *%d %s, client: 10.0.0.9, server: shop.example.test, request: "%s", upstream: "%s://%s%s", host: "shop.example.test"\n' % (te, cid, msg, req, scheme, peer, uri))
        # the rest of a busy error.log, in step with the access.log's time
        size = sum(len(l) for l in out)
        goal = err_size * written // acc_size - err_written
        while size < goal:
            te = (start + datetime.timedelta(seconds=(n - rnd.randrange(10000)) // 200)).strftime("%Y/%m/%d %H:%M:%S")
            l = filler(te, rnd)
            out.insert(rnd.randrange(len(out) + 1), l)
            size += len(l)
        out.sort(key=lambda l: l[:19])
        room = err_size - err_written
        for l in out:
            if len(l) > room:
                break
            e.write(l)
            room -= len(l)
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
LOGS="$BIN logs --format json $ERR"
# mean wall, user+sys CPU (s) and peak RSS (MB) of RUNS runs of a command
measure() {
  local w=0 c=0 r=0 line
  for _ in $(seq "$RUNS"); do
    line=$(/usr/bin/time -f "%e %U %S %M" bash -c "$1" 2>&1 > /dev/null | tail -1)
    read -r e u s m <<< "$line"
    w=$(echo "$w + $e" | bc); c=$(echo "$c + $u + $s" | bc); r=$m
  done
  echo "$(echo "scale=2; $w / $RUNS" | bc) $(echo "scale=2; $c / $RUNS" | bc) $((r / 1024))"
}
read -r aw ac _ <<< "$(measure "$AWK")"
read -r lw lc lr <<< "$(measure "$LOGS")"
read -r dw dc dr <<< "$(measure "$DIAG")"
printf '%-34s %8s %8s %8s\n' "command (mean of $RUNS)" "wall s" "cpu s" "rss MB"
printf '%-34s %8s %8s %8s\n' "awk '{print \$9}' | sort | uniq -c" "$aw" "$ac" "-"
printf '%-34s %8s %8s %8s\n' "ngxray logs error.log" "$lw" "$lc" "$lr"
printf '%-34s %8s %8s %8s\n' "ngxray diagnose (both logs)" "$dw" "$dc" "$dr"
echo "ratio diagnose/awk:  wall $(echo "scale=2; $dw / $aw" | bc), cpu $(echo "scale=2; $dc / $ac" | bc)"
echo "ratio diagnose/logs: wall $(echo "scale=2; $dw / $lw" | bc), cpu $(echo "scale=2; $dc / $lc" | bc)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
