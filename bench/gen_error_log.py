#!/usr/bin/env python3
"""Write a production-like nginx error.log for benchmarks.

Usage: gen_error_log.py SIZE_MB OUT [SEED]

Unlike a repeated sample, every line varies the way a busy fleet's log
does: ~300 server names, ~800 upstream peers (IPv4, IPv6, unix sockets,
group names, several schemes), ~50,000 clients, request paths built from
words, ids, UUIDs and query strings, hosts and referrers, connection
numbers and worker pids, and a realistic mix of messages: upstream
failures of every phase, [warn] peer-disabled companions, body-phase
errors, FastCGI stderr (some with multi-line PHP stack traces), client
closes and keepalive notices at [info], limit_req, open() 404s, TLS
handshakes, resolver errors, and lifecycle notices. Timestamps advance
about 40 lines per second.
"""
import datetime
import random
import sys

size = int(sys.argv[1]) * 1024 * 1024
out = sys.argv[2]
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)

words = ("api v1 v2 orders cart items users login logout search products catalog img static "
         "assets checkout payment health status feed comments media upload download report "
         "admin graphql session token refresh invoices export").split()
tlds = ["com", "net", "io", "org", "internal"]
servers = [f"{rnd.choice(words)}{i}.{rnd.choice(['shop', 'corp', 'app', 'svc'])}.{rnd.choice(tlds)}"
           for i in range(300)]
groups = [f"{rnd.choice(words)}_{rnd.choice(['backend', 'pool', 'api', 'svc'])}{i}" for i in range(60)]
peers = []
for i in range(800):
    k = rnd.random()
    if k < 0.7:
        peers.append(("http", f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}:{rnd.choice([80, 8080, 3000, 5000, 9000, 8443])}"))
    elif k < 0.8:
        peers.append(("https", f"[fd00::{rnd.randrange(65536):x}:{rnd.randrange(65536):x}]:443"))
    elif k < 0.92:
        peers.append(("fastcgi", f"unix:/run/php/php8.{rnd.randrange(4)}-fpm-{rnd.choice(words)}.sock"))
    else:
        peers.append(("grpc", f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}:50051"))
clients = [f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}"
           for _ in range(45000)] + [f"2001:db8:{rnd.randrange(65536):x}::{rnd.randrange(65536):x}" for _ in range(5000)]
methods = ["GET"] * 8 + ["POST"] * 3 + ["PUT", "DELETE", "PATCH", "HEAD"]


def path():
    segs = []
    for _ in range(rnd.randrange(1, 5)):
        r = rnd.random()
        if r < 0.6:
            segs.append(rnd.choice(words))
        elif r < 0.85:
            segs.append(str(rnd.randrange(1, 10_000_000)))
        else:
            segs.append("%08x-%04x-4%03x-a%03x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48)))
    p = "/" + "/".join(segs)
    if rnd.random() < 0.35:
        p += f"?{rnd.choice(words)}={rnd.randrange(100000)}&page={rnd.randrange(50)}"
    return p


def ctx(server, scheme, peer, p, upstream=True):
    req = f'{rnd.choice(methods)} {p} HTTP/{rnd.choice(["1.1", "1.1", "2.0"])}'
    s = f', client: {rnd.choice(clients)}, server: {server}, request: "{req}"'
    if upstream:
        if scheme == "fastcgi":
            s += f', upstream: "fastcgi://{peer}:"'
        else:
            s += f', upstream: "{scheme}://{peer}{p}"'
    s += f', host: "{server}"'
    if rnd.random() < 0.4:
        s += f', referrer: "https://{rnd.choice(servers)}{path()}"'
    return s


UP = [
    (30, "error", "connect() failed (111: Connection refused) while connecting to upstream"),
    (14, "error", "upstream timed out (110: Connection timed out) while reading response header from upstream"),
    (6, "error", "upstream timed out (110: Connection timed out) while connecting to upstream"),
    (8, "error", "upstream prematurely closed connection while reading response header from upstream"),
    (5, "error", "recv() failed (104: Connection reset by peer) while reading response header from upstream"),
    (5, "error", "upstream prematurely closed connection while reading upstream"),
    (3, "error", "readv() failed (104: Connection reset by peer) while reading upstream"),
    (2, "error", "upstream sent too big header while reading response header from upstream"),
    (2, "error", "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream"),
    (2, "error", "writev() failed (32: Broken pipe) while sending request to upstream"),
    (1, "crit", "connect() to {unix} failed (2: No such file or directory) while connecting to upstream"),
    (10, "warn", "upstream server temporarily disabled while connecting to upstream"),
]
OTHER = [
    (25, "info", "client {client} closed keepalive connection"),
    (10, "info", "client prematurely closed connection while sending to client"),
    (6, "error", "limiting requests, excess: 10.{n} by zone \"{zone}\""),
    (6, "error", 'open() "/srv/www/{word}/{word2}.png" failed (2: No such file or directory)'),
    (4, "info", "SSL_do_handshake() failed (SSL: error:0A000412:SSL routines::sslv3 alert bad certificate:SSL alert number 42) while SSL handshaking"),
    (3, "warn", "a client request body is buffered to a temporary file /var/cache/nginx/client_temp/00000{n}"),
]
total_w = sum(w for w, _, _ in UP) + sum(w for w, _, _ in OTHER) + 6


def pick(table, r):
    for w, lvl, msg in table:
        if r < w:
            return lvl, msg
        r -= w
    return None


start = datetime.datetime(2024, 3, 14, 0, 0, 0)
written = 0
n = 0
cid = 1000
with open(out, "w", encoding="utf-8") as f:
    while written < size:
        chunk = []
        for _ in range(2000):
            ts = (start + datetime.timedelta(seconds=n // 40)).strftime("%Y/%m/%d %H:%M:%S")
            pid = 1200 + rnd.randrange(8)
            cid += rnd.randrange(1, 4)
            head = f"{ts} [%s] {pid}#{pid}: *{cid} "
            server = rnd.choice(servers)
            scheme, peer = rnd.choice(peers)
            r = rnd.random() * total_w
            n += 1
            hit = pick(UP, r)
            if hit:
                lvl, msg = hit
                if "{unix}" in msg:
                    scheme, peer = "fastcgi", f"unix:/run/php/php8.{rnd.randrange(4)}-fpm.sock"
                    msg = msg.replace("{unix}", peer)
                chunk.append(head % lvl + msg + ctx(server, scheme, peer, path()))
                continue
            r -= sum(w for w, _, _ in UP)
            hit = pick(OTHER, r)
            if hit:
                lvl, msg = hit
                msg = msg.format(client=rnd.choice(clients), n=rnd.randrange(1000), zone=rnd.choice(words),
                                 word=rnd.choice(words), word2=rnd.choice(words))
                if msg.startswith("client ") and "keepalive" in msg:
                    chunk.append(head % lvl + msg)
                elif "SSL handshaking" in msg:
                    chunk.append(head % lvl + msg + f", client: {rnd.choice(clients)}, server: 0.0.0.0:443")
                else:
                    chunk.append(head % lvl + msg + ctx(server, scheme, peer, path(), upstream=False))
                continue
            k = rnd.randrange(6)
            g = rnd.choice(groups)
            if k == 0:
                chunk.append(head % "error" + "no live upstreams while connecting to upstream"
                             + ctx(server, "http", g, path()).replace(f'http://{g}', f'http://{g}'))
            elif k == 1:
                chunk.append(head % "error" + f"{rnd.choice(words)}.{rnd.choice(groups)}.svc could not be resolved (3: Host not found)"
                             + ctx(server, "http", "", path(), upstream=False))
            elif k in (2, 3):
                p = path()
                php = rnd.choice(words)
                msg = f'FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined array key "{php}" in /srv/app/{php}.php on line {rnd.randrange(1, 900)}"'
                if k == 3:
                    msg = (f'FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Error: Call to a member function {php}() on null in /srv/app/{php}.php:{rnd.randrange(1, 900)}\n'
                           f'Stack trace:\n#0 /srv/app/index.php({rnd.randrange(1, 99)}): {php}()\n#1 {{main}}\n'
                           f'  thrown in /srv/app/{php}.php on line {rnd.randrange(1, 900)}"')
                fpm = f"unix:/run/php/php8.{rnd.randrange(4)}-fpm.sock"
                chunk.append(head % "error" + msg + " while reading response header from upstream" + ctx(server, "fastcgi", fpm, p))
            elif k == 4:
                chunk.append(f"{ts} [notice] 1199#1199: signal 1 (SIGHUP) received from {rnd.randrange(1, 99999)}, reconfiguring")
            else:
                chunk.append(f"{ts} [notice] {pid}#{pid}: start worker process {rnd.randrange(1000, 99999)}")
        block = "\n".join(chunk) + "\n"
        f.write(block)
        written += len(block.encode())
