//! The classifier on the lines real nginx and OpenResty write.

use super::*;
use crate::logs::line::parse;

fn verdict(msg: &str, level: &str) -> (&'static str, Option<u16>) {
    let line = format!("2026/11/25 15:19:34 [{level}] 1#1: *7 {msg}");
    let l = parse(line.as_bytes()).expect("parses");
    let v = classify(&l);
    (causes::cause(v.cause).id, v.status)
}

const CTX: &str = ", client: 127.0.0.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"h\"";

fn e(msg: &str) -> (&'static str, Option<u16>) {
    verdict(&format!("{msg}{CTX}"), "error")
}

#[test]
fn connect_failures_by_errno() {
    assert_eq!(
        e("connect() failed (111: Connection refused) while connecting to upstream"),
        ("connect-refused", Some(502))
    );
    assert_eq!(e("connect() to unix:/run/php.sock failed (2: No such file or directory) while connecting to upstream"), ("unix-socket-missing", Some(502)));
    assert_eq!(e("connect() to unix:/run/php.sock failed (13: Permission denied) while connecting to upstream"), ("permission-denied", Some(502)));
    assert_eq!(e("connect() to 127.0.0.1:8080 failed (13: Permission denied) while connecting to upstream"), ("permission-denied", Some(502)));
    assert_eq!(e("connect() to unix:/run/php.sock failed (11: Resource temporarily unavailable) while connecting to upstream"), ("backend-busy", Some(502)));
    assert_eq!(e("connect() to unix:/run/a.sock failed (111: Connection refused) while connecting to upstream"), ("connect-refused", Some(502)));
    assert_eq!(
        e("connect() failed (113: No route to host) while connecting to upstream"),
        ("connect-unreachable", Some(502))
    );
    assert_eq!(e("connect() to [2606::1]:443 failed (101: Network is unreachable) while connecting to upstream"), ("connect-unreachable", Some(502)));
    assert_eq!(
        e("connect() failed (110: Connection timed out) while connecting to upstream"),
        ("connect-timeout", Some(502))
    );
    assert_eq!(e("connect() to 10.0.0.1:80 failed (99: Cannot assign requested address) while connecting to upstream"), ("resource-exhaustion", Some(502)));
    assert_eq!(
        verdict(
            &format!("socket() failed (24: Too many open files) while connecting to upstream{CTX}"),
            "alert"
        ),
        ("resource-exhaustion", Some(500))
    );
    assert_eq!(
        verdict(
            &format!("1024 worker_connections are not enough while connecting to upstream{CTX}"),
            "alert"
        ),
        ("resource-exhaustion", Some(500))
    );
}

#[test]
fn timeouts_by_phase() {
    let t = "upstream timed out (110: Connection timed out) while ";
    assert_eq!(
        e(&format!("{t}connecting to upstream")),
        ("connect-timeout", Some(504))
    );
    assert_eq!(
        e(&format!("{t}sending request to upstream")),
        ("send-timeout", Some(504))
    );
    assert_eq!(
        e(&format!("{t}reading response header from upstream")),
        ("read-timeout", Some(504))
    );
    assert_eq!(
        e(&format!("{t}SSL handshaking to upstream")),
        ("tls-handshake", Some(504))
    );
    assert_eq!(e(&format!("{t}reading upstream")), ("body-truncated", None));
    assert_eq!(
        e(&format!("{t}proxying upgraded connection")),
        ("read-timeout", None)
    );
}

#[test]
fn context_before_errno() {
    assert_eq!(
        e("recv() failed (104: Connection reset by peer) while SSL handshaking to upstream"),
        ("tls-handshake", Some(502))
    );
    assert_eq!(e("recv() failed (104: Connection reset by peer) while reading response header from upstream"), ("connection-reset", Some(502)));
    assert_eq!(
        e("writev() failed (32: Broken pipe) while sending request to upstream"),
        ("connection-reset", Some(502))
    );
    assert_eq!(
        e("readv() failed (104: Connection reset by peer) while reading upstream"),
        ("body-truncated", None)
    );
    assert_eq!(
        e("upstream prematurely closed connection while reading upstream"),
        ("body-truncated", None)
    );
    assert_eq!(
        e("upstream sent invalid chunked response while reading upstream"),
        ("body-truncated", None)
    );
    assert_eq!(
        verdict(
            "recv() failed (111: Connection refused) while resolving, resolver: 127.0.0.1:53",
            "error"
        ),
        ("dns-failure", None)
    );
    assert_eq!(
        verdict(
            &format!(
                "writev() failed (104: Connection reset by peer) while sending to client{CTX}"
            ),
            "info"
        ),
        ("client-abort", None)
    );
    assert_eq!(
        verdict(
            &format!("upstream server temporarily disabled while SSL handshaking to upstream{CTX}"),
            "warn"
        ),
        ("peer-disabled", None)
    );
}

#[test]
fn upstream_messages() {
    assert_eq!(
        e("no live upstreams while connecting to upstream"),
        ("no-live-upstreams", Some(502))
    );
    assert_eq!(
        e("upstream prematurely closed connection while reading response header from upstream"),
        ("premature-close", Some(502))
    );
    assert_eq!(e("upstream prematurely closed FastCGI stdout while reading response header from upstream"), ("premature-close", Some(502)));
    assert_eq!(
        e("upstream sent too big header while reading response header from upstream"),
        ("header-too-big", Some(502))
    );
    assert_eq!(e("upstream sent invalid header: \"X\\x00...\" while reading response header from upstream"), ("invalid-response", Some(502)));
    assert_eq!(
        e("upstream sent no valid HTTP/1.0 header while reading response header from upstream"),
        ("invalid-response", None)
    );
    assert_eq!(e("upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream"), ("protocol-mismatch", Some(502)));
    assert_eq!(e("upstream sent unsupported FastCGI protocol version: 0 while reading response header from upstream"), ("invalid-response", Some(502)));
    assert_eq!(e("upstream sent too large http2 frame: 4740180 while reading response header from upstream"), ("protocol-mismatch", Some(502)));
    assert_eq!(
        e("no resolver defined to resolve backend.invalid"),
        ("no-resolver", Some(502))
    );
    assert_eq!(
        e("backend could not be resolved (110: Operation timed out)"),
        ("dns-failure", Some(502))
    );
    assert_eq!(e("SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream"), ("tls-handshake", Some(502)));
    assert_eq!(
        e("upstream SSL certificate does not match \"x\" while SSL handshaking to upstream"),
        ("tls-handshake", Some(502))
    );
}

#[test]
fn fastcgi_and_request_side() {
    let f = "FastCGI sent in stderr: \"";
    let a = "\" while reading response header from upstream";
    assert_eq!(
        e(&format!("{f}Primary script unknown{a}")),
        ("script-not-found", Some(404))
    );
    assert_eq!(
        e(&format!(
            "{f}PHP message: PHP Fatal error:  Uncaught Error{a}"
        )),
        ("app-error", Some(500))
    );
    assert_eq!(
        e(&format!("{f}PHP message: PHP Warning:  x{a}")),
        ("fastcgi-stderr", None)
    );
    assert_eq!(
        e(&format!(
            "{f}PHP message: PHP Warning:  x\" while reading upstream"
        )),
        ("fastcgi-stderr", None)
    );
    assert_eq!(
        e("limiting requests, excess: 0.500 by zone \"login_rl\""),
        ("rate-limited", Some(503))
    );
    assert_eq!(
        e("client intended to send too large body: 2097152 bytes"),
        ("request-rejected", Some(413))
    );
    assert_eq!(
        e("open() \"/srv/html/favicon.ico\" failed (2: No such file or directory)"),
        ("not-found", Some(404))
    );
    assert_eq!(e("access forbidden by rule"), ("forbidden", Some(403)));
    assert_eq!(verdict(&format!("epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream{CTX}"), "info"), ("client-abort", Some(499)));
}

#[test]
fn lifecycle_config_and_unknown() {
    let l = parse(b"2026/11/25 15:19:33 [notice] 24239#24239: start worker process 24240").unwrap();
    assert_eq!(causes::cause(classify(&l).cause).id, "lifecycle");
    assert_eq!(verdict("\"/x\" matches", "notice"), ("unclassified", None));
    assert_eq!(
        verdict("unexpected \"}\" in /etc/nginx/nginx.conf:1", "emerg"),
        ("config-error", None)
    );
    assert_eq!(
        verdict("client 127.0.0.1 closed keepalive connection", "info"),
        ("connection-info", None)
    );
    assert_eq!(e("something nginx never said"), ("unclassified", None));
    let l = parse(b"nginx: configuration file /etc/nginx/nginx.conf test failed").unwrap();
    assert_eq!(causes::cause(classify(&l).cause).id, "config-error");
}

#[test]
fn openresty_auth_waf_windows_and_config_warnings() {
    assert_eq!(
        e("auth request unexpected status: 502 while sending to client"),
        ("auth-request-failed", Some(500))
    );
    assert_eq!(
        e("lua entry thread aborted: runtime error: content_by_lua(nginx.conf:9):2: boom"),
        ("lua-error", Some(500))
    );
    assert_eq!(
        e("failed to run balancer_by_lua*: balancer_by_lua:2: no peer while connecting to upstream"),
        ("lua-error", Some(500))
    );
    assert_eq!(
        e("failed to run log_by_lua*: log_by_lua(nginx.conf:40):1: x"),
        ("lua-error", None)
    );
    assert_eq!(
        e("lua tcp socket read timed out"),
        ("lua-socket-timeout", None)
    );
    assert_eq!(
        e("lua tcp socket connect timed out, when connecting to 10.0.0.9:6379"),
        ("lua-socket-timeout", None)
    );
    assert_eq!(
        verdict(
            &format!("invalid connection preface while processing HTTP/2 connection{CTX}"),
            "info"
        ),
        ("request-rejected", None)
    );
    assert_eq!(e("WSARecv() failed (10054: An existing connection was forcibly closed by the remote host) while reading response header from upstream"), ("connection-reset", Some(502)));
    assert_eq!(e("connect() failed (10061: No connection could be made because the target machine actively refused it) while connecting to upstream"), ("connect-refused", Some(502)));
    assert_eq!(e("upstream timed out (10060: A connection attempt failed because the connected party did not properly respond after a period of time) while connecting to upstream"), ("connect-timeout", Some(504)));
    assert_eq!(
        verdict(
            "768 worker_connections are not enough, reusing connections",
            "warn"
        ),
        ("resource-exhaustion", None)
    );
    assert_eq!(
        verdict("1024 worker_connections are not enough", "alert"),
        ("resource-exhaustion", None)
    );
    let l = parse(b"2026/11/25 15:19:34 [error] 7#7: no A or CNAME types in DNS response").unwrap();
    assert_eq!(causes::cause(classify(&l).cause).id, "dns-failure");
    assert_eq!(classify(&l).status, None);
    let waf = "[client 6.6.6.6] ModSecurity: Access denied with code 403 (phase 2). Matched \"Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `5' )\" [file \"/etc/crs/REQUEST-949.conf\"] [line \"80\"] [id \"949110\"] [uri \"/\"]";
    assert_eq!(
        verdict(&format!("{waf}{CTX}"), "error"),
        ("waf-denied", Some(403))
    );
    assert_eq!(
        verdict(&format!("{waf}{CTX}"), "info"),
        ("waf-denied", None)
    );
    assert_eq!(
        verdict(
            "[client 6.6.6.6] ModSecurity: Warning. Matched \"x\"",
            "warn"
        ),
        ("waf-denied", None)
    );
    let l = parse(b"2026/11/25 15:19:34 [warn] 1#1: conflicting server name \"a.example\" on 0.0.0.0:80, ignored").unwrap();
    assert_eq!(causes::cause(classify(&l).cause).id, "config-warning");
}

#[test]
fn stream_sessions_get_stream_statuses() {
    let tail = ", client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"10.0.0.7:5432\", bytes from/to client:0/0, bytes from/to upstream:0/0";
    let s = |msg: &str| verdict(&format!("{msg}{tail}"), "error");
    assert_eq!(
        s("upstream timed out (110: Connection timed out) while connecting to upstream"),
        ("connect-timeout", Some(502))
    );
    assert_eq!(
        s("connect() failed (111: Connection refused) while connecting to upstream"),
        ("connect-refused", Some(502))
    );
    assert_eq!(
        s("upstream timed out (110: Connection timed out) while SSL handshaking to upstream"),
        ("tls-handshake", Some(502))
    );
    assert_eq!(
        verdict(
            "db.internal could not be resolved (3: Host not found), client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"db.internal:5432\"",
            "error"
        ),
        ("dns-failure", Some(500))
    );
    assert_eq!(
        verdict("no live upstreams while connecting to upstream, client: 1.2.3.4, server: 0.0.0.0:9000, upstream: \"pg\", bytes from/to client:0/0, bytes from/to upstream:0/0", "error"),
        ("no-live-upstreams", Some(502))
    );
    // HTTP keeps 504.
    assert_eq!(
        e("upstream timed out (110: Connection timed out) while connecting to upstream"),
        ("connect-timeout", Some(504))
    );
    // The memoising classifier agrees.
    let mut memo = Classifier::new();
    for line in [
        format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream timed out (110: Connection timed out) while connecting to upstream{tail}"),
        format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream timed out (110: Connection timed out) while connecting to upstream{CTX}"),
    ] {
        let l = parse(line.as_bytes()).unwrap();
        assert_eq!(memo.classify(&l), classify(&l));
    }
}

#[test]
fn variable_pass_upstream_tls_reads_and_stream_notices() {
    assert_eq!(
        e("invalid URL prefix in \"backend.internal/api\""),
        ("bad-upstream-address", Some(500))
    );
    assert_eq!(
        e("no port in upstream \"backend.internal\""),
        ("bad-upstream-address", Some(500))
    );
    assert_eq!(
        e("SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while reading response header from upstream"),
        ("connection-reset", Some(502))
    );
    assert_eq!(
        e("SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while reading upstream"),
        ("body-truncated", None)
    );
    let tail = ", client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"10.0.0.7:5432\", bytes from/to client:10/20, bytes from/to upstream:20/10";
    for m in [
        "upstream disconnected, bytes from/to client:10/20, bytes from/to upstream:20/10",
        "proxy 10.0.0.2:40000 connected to 10.0.0.7:5432",
    ] {
        let l = format!("2026/11/25 15:19:34 [info] 1#1: *7 {m}{tail}");
        let v = classify(&parse(l.as_bytes()).unwrap());
        assert_eq!(causes::cause(v.cause).id, "connection-info", "{m}");
    }
    let l = "2026/11/25 15:19:34 [info] 1#1: *7 udp timed out, packets from/to client:1/0, bytes from/to client:40/0, bytes from/to upstream:0/40, client: 127.0.0.1, server: 0.0.0.0:53";
    assert_eq!(
        causes::cause(classify(&parse(l.as_bytes()).unwrap()).cause).id,
        "connection-info"
    );
}

#[test]
fn reload_failures_and_worker_crashes() {
    for (line, want) in [
        ("2026/11/25 15:19:34 [alert] 1#1: worker process 31 exited on signal 11 (core dumped)", "worker-crash"),
        ("2026/11/25 15:19:34 [error] 40#40: open() \"/run/nginx.pid\" failed (2: No such file or directory)", "config-error"),
        ("nginx: [error] open() \"/run/nginx.pid\" failed (2: No such file or directory)", "config-error"),
        ("2026/11/25 15:19:34 [alert] 40#40: kill(31, 1) failed (3: No such process)", "config-error"),
        ("2026/11/25 15:19:34 [notice] 1#1: signal 1 (SIGHUP) received from 40, reconfiguring", "lifecycle"),
    ] {
        let v = classify(&parse(line.as_bytes()).unwrap());
        assert_eq!((causes::cause(v.cause).id, v.status), (want, None), "{line}");
    }
}

#[test]
fn everyday_request_errors() {
    for (msg, level, want) in [
        (
            "rewrite or internal redirection cycle while internally redirecting to \"/index.php\"",
            "error",
            ("redirect-cycle", Some(500)),
        ),
        (
            "no user/password was provided for basic authentication",
            "error",
            ("unauthorized", Some(401)),
        ),
        (
            "user \"bob\": password mismatch",
            "error",
            ("unauthorized", Some(401)),
        ),
        (
            "user \"eve\" was not found in \"/etc/nginx/.htpasswd\"",
            "error",
            ("unauthorized", Some(401)),
        ),
        (
            "stat() \"/srv/www/x\" failed (13: Permission denied)",
            "crit",
            ("forbidden", Some(403)),
        ),
        (
            "using uninitialized \"foo\" variable",
            "warn",
            ("config-warning", None),
        ),
    ] {
        assert_eq!(verdict(&format!("{msg}{CTX}"), level), want, "{msg}");
    }
    assert_eq!(
        verdict("db.internal could not be resolved (3: Host not found), client: 127.0.0.1, server: 0.0.0.0:9000", "error"),
        ("dns-failure", Some(500)),
        "a stream session before it has an upstream"
    );
    for line in [
        "2026/11/25 15:19:34 [alert] 1#1: setrlimit(RLIMIT_NOFILE, 100000) failed (1: Operation not permitted)",
        "2026/11/25 15:19:34 [alert] 1#1: could not open error log file: open() \"/var/log/nginx/error.log\" failed (13: Permission denied)",
        "2026/11/25 15:19:34 [alert] 31#31: open socket #12 left in connection 5",
    ] {
        let v = classify(&parse(line.as_bytes()).unwrap());
        assert_ne!(v.cause, causes::unclassified(), "{line}");
        assert_eq!(v.status, None, "{line}");
    }
}

#[test]
fn lines_outside_a_request_have_no_status() {
    // A Lua cosocket failing to connect: no action, no upstream.
    assert_eq!(
        e("connect() failed (111: Connection refused)").1,
        Some(502),
        "with an upstream field it is the proxy's"
    );
    let l = "2026/11/25 15:19:34 [error] 1#1: *7 connect() failed (111: Connection refused), client: 1.2.3.4, server: s, request: \"GET /lua HTTP/1.1\", host: \"h\"";
    assert_eq!(
        classify(&parse(l.as_bytes()).unwrap()),
        Verdict {
            cause: causes::find("connect-refused").unwrap(),
            status: None
        }
    );
    // A timer: no client.
    let l = "2026/11/25 15:19:34 [error] 1#1: *7 lua entry thread aborted: runtime error: x.lua:1: boom, context: ngx.timer";
    let v = classify(&parse(l.as_bytes()).unwrap());
    assert_eq!((causes::cause(v.cause).id, v.status), ("lua-error", None));
    let l = "2026/11/25 15:19:34 [error] 1#1: *7 [lua] app.lua:12: handler(): failed to connect: connection refused, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\"";
    let v = classify(&parse(l.as_bytes()).unwrap());
    assert_eq!((causes::cause(v.cause).id, v.status), ("lua-log", None));
}

#[test]
fn subrequest_lines_leave_the_status_to_the_main_request() {
    // nginx 1.22, auth_request to a closed port: the client got 500, which
    // the second line gives; the subrequest's own failure is not a 502.
    let sub = "2026/12/08 01:43:48 [error] 17943#17943: *70 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /auth/1 HTTP/1.0\", subrequest: \"/_auth\", upstream: \"http://127.0.0.1:36755/_auth\", host: \"t\"";
    let v = classify(&parse(sub.as_bytes()).unwrap());
    assert_eq!(
        (causes::cause(v.cause).id, v.status),
        ("connect-refused", None)
    );
    let main = "2026/12/08 01:43:48 [error] 17943#17943: *70 auth request unexpected status: 502 while sending to client, client: 127.0.0.1, server: , request: \"GET /auth/1 HTTP/1.0\", host: \"t\"";
    let v = classify(&parse(main.as_bytes()).unwrap());
    assert_eq!(
        (causes::cause(v.cause).id, v.status),
        ("auth-request-failed", Some(500))
    );
}

#[test]
fn open_failures_by_level() {
    // nginx 1.22, client_body_temp_path in a directory the worker may not
    // enter: [crit], and the client got 500.
    let temp = "2026/12/08 01:43:48 [crit] 17943#17943: *82 open() \"/tmp/n/locked/body/0000000002\" failed (13: Permission denied), client: 127.0.0.1, server: , request: \"POST /temp-locked/1 HTTP/1.0\", host: \"t\"";
    let v = classify(&parse(temp.as_bytes()).unwrap());
    assert_eq!(
        (causes::cause(v.cause).id, v.status),
        ("file-error", Some(500))
    );
    // A file served that the worker may not read: [error], 403.
    let denied = temp.replace("[crit]", "[error]");
    let v = classify(&parse(denied.as_bytes()).unwrap());
    assert_eq!(
        (causes::cause(v.cause).id, v.status),
        ("forbidden", Some(403))
    );
}

#[test]
fn pasted_messages_without_date_and_level() {
    let bare = |s: &str| {
        let l = crate::logs::line::parse_bare(s.as_bytes()).unwrap();
        classify_bare(&l).map(|v| (causes::cause(v.cause).id, v.status))
    };
    assert_eq!(
        bare("upstream timed out (110: Connection timed out) while reading response header from upstream"),
        Some(("read-timeout", Some(504)))
    );
    assert_eq!(
        bare("  *12 upstream prematurely closed connection while reading upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\""),
        Some(("body-truncated", None))
    );
    assert_eq!(
        bare("connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream"),
        Some(("unix-socket-missing", Some(502)))
    );
    assert_eq!(
        bare("    at Object.<anonymous> (/app/server.js:12:3)"),
        None
    );
    assert_eq!(bare("hello world"), None);
}

#[test]
fn hints_decode_tell_tale_values() {
    let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream{CTX}");
    assert!(hint(&parse(l.as_bytes()).unwrap()).unwrap().contains("'H'"));
    let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream sent too large http2 frame: 4740180 while reading response header from upstream{CTX}");
    assert!(hint(&parse(l.as_bytes()).unwrap())
        .unwrap()
        .contains("\"HTT\""));
    let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 connect() failed (111: Connection refused) while connecting to upstream{CTX}");
    assert_eq!(hint(&parse(l.as_bytes()).unwrap()), None);
}

#[test]
fn memo_gives_the_uncached_verdict() {
    // Same head at other levels, with and without a connection number,
    // and heads that differ only in errno or action.
    let heads = [
        "connect() failed (111: Connection refused) while connecting to upstream",
        "connect() failed (113: No route to host) while connecting to upstream",
        "upstream timed out (110: Connection timed out) while reading upstream",
        "upstream timed out (110: Connection timed out) while connecting to upstream",
        "start worker process 7",
        "unexpected \"}\" in /etc/nginx/nginx.conf:1",
        "upstream server temporarily disabled while connecting to upstream",
    ];
    let mut memo = Classifier::new();
    for round in 0..3 {
        for h in heads {
            for level in ["error", "notice", "warn", "emerg"] {
                for cid in ["*7 ", ""] {
                    let line = format!("2026/11/25 15:19:34 [{level}] 1#1: {cid}{h}{CTX}");
                    let l = parse(line.as_bytes()).unwrap();
                    assert_eq!(memo.classify(&l), classify(&l), "{round} {line}");
                }
            }
        }
    }
}

#[test]
fn every_signature_is_reachable_from_its_own_example() {
    // Each Prefix signature matches a message built from its own text.
    for (ci, c) in CAUSES.iter().enumerate() {
        for sig in c.sigs {
            if let Text::Prefix(p) = sig.text {
                if !sig.errno.is_empty()
                    || matches!(sig.phase, Phase::OneOf(_))
                    || sig.levels != causes::Levels::Any
                {
                    continue;
                }
                let line = format!("2026/11/25 15:19:34 [error] 1#1: *7 {p}{CTX}");
                let v = classify(&parse(line.as_bytes()).unwrap());
                assert_eq!(
                    v.cause as usize,
                    ci,
                    "{p} landed in {}",
                    causes::cause(v.cause).id
                );
            }
        }
    }
}

#[test]
fn memo_of_heads_that_differ_in_numbers_gives_the_uncached_verdict() {
    // Every signature text, with the parts the memo keys on around it, and
    // the same heads with their digits changed (which a text with a digit
    // in it must notice).
    let mut texts: Vec<String> = Vec::new();
    for c in CAUSES {
        for sig in c.sigs {
            match sig.text {
                Text::Prefix(p) => texts.push(p.to_string()),
                Text::PrefixContains(p, c) => texts.push(format!("{p} 42 {c}")),
                Text::Contains(c) => texts.push(format!("a 7 {c}")),
                Text::Any => {}
            }
        }
    }
    let tails = [
        "",
        " 1.2.3.4",
        " (111: Connection refused)",
        " (61: Connection refused)",
        " (99999999999: Connection refused)",
        " (104: Connection reset by peer) while reading upstream",
        " while connecting to upstream",
        " in /etc/nginx/n1.conf:12",
        " in /etc/nginx/n1.conf:99999999999",
    ];
    let renumber = |s: &str, f: &dyn Fn(u8) -> u8| -> String {
        s.bytes()
            .map(|b| if b.is_ascii_digit() { f(b) } else { b } as char)
            .collect()
    };
    let mut memo = Classifier::new();
    for t in &texts {
        for tail in tails {
            let head = format!("{t}{tail}");
            for variant in [
                head.clone(),
                renumber(&head, &|_| b'0'),
                renumber(&head, &|_| b'9'),
                renumber(&head, &|b| b'0' + (b - b'0' + 3) % 10),
                head.clone(),
            ] {
                for level in ["error", "notice"] {
                    for cid in ["*7 ", ""] {
                        let line =
                            format!("2026/11/25 15:19:34 [{level}] 1#1: {cid}{variant}{CTX}");
                        let l = parse(line.as_bytes()).unwrap();
                        assert_eq!(memo.classify(&l), classify(&l), "{line}");
                    }
                }
            }
        }
    }
}
