//! The cause table: one row per cause, as data.
//!
//! Each row names a cause (a stable id that scripts and CI rely on), the
//! status the client usually gets, the matchers ([`Sig`]) that recognise its
//! log lines, an explanation for the report and the lint rules that look for
//! the same problem in configuration. The classifier walks the rows in table
//! order and the first matching signature wins, so rows that must beat a
//! phase rule (the `[warn] upstream server temporarily disabled` companion,
//! FastCGI stderr) come before the phase rows (TLS handshake, resolver, body
//! phase), and those come before the errno rows. Rows are never reordered
//! casually: a test pins the ground truth of a real nginx log.

use super::line::Level;

/// How a signature matches the message text (the part before the errno and
/// the ` while ACTION` context).
#[derive(Debug, Clone, Copy)]
pub enum Text {
    /// Any message.
    Any,
    /// The message starts with this text.
    Prefix(&'static str),
    /// The message starts with the first text and contains the second.
    PrefixContains(&'static str, &'static str),
    /// The message contains this text.
    Contains(&'static str),
}

/// Which ` while ACTION` context a signature accepts.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Any action, or none.
    Any,
    /// Exactly one of these actions.
    OneOf(&'static [&'static str]),
}

/// Which levels a signature accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Levels {
    Any,
    /// `[emerg]` only (start-up and reload failures).
    Emerg,
    /// `[error]` or more severe.
    ErrorOrWorse,
    /// `[notice]` lines that belong to no connection (process lifecycle).
    NoticeWithoutConnection,
}

/// One matcher of a cause row. `status` is the status a line matching it
/// produces when the failure is final; `None` when the status was already
/// sent or the line is not a request failure.
#[derive(Debug, Clone, Copy)]
pub struct Sig {
    pub text: Text,
    /// Accepted errno values; empty accepts any (or none).
    pub errno: &'static [i32],
    pub phase: Phase,
    pub levels: Levels,
    /// The line must carry a configuration location (` in FILE:LINE`).
    pub config_location: bool,
    pub status: Option<u16>,
}

impl Sig {
    const fn new(text: Text, status: Option<u16>) -> Sig {
        Sig {
            text,
            errno: &[],
            phase: Phase::Any,
            levels: Levels::Any,
            config_location: false,
            status,
        }
    }
    const fn errno(mut self, errno: &'static [i32]) -> Sig {
        self.errno = errno;
        self
    }
    const fn phase(mut self, phase: &'static [&'static str]) -> Sig {
        self.phase = Phase::OneOf(phase);
        self
    }
    const fn levels(mut self, levels: Levels) -> Sig {
        self.levels = levels;
        self
    }
    const fn config_location(mut self) -> Sig {
        self.config_location = true;
        self
    }
}

/// What kind of line a cause stands for; the text report leads with failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A request failed because of the upstream (502/504/500 family).
    UpstreamFailure,
    /// The upstream failed after the status was sent (truncated body) or
    /// something about the upstream worth knowing that did not fail a request.
    UpstreamWarning,
    /// The request failed on nginx's own side (limits, files, client).
    RequestFailure,
    /// Start-up, reload or configuration problems.
    Config,
    /// Normal operation: lifecycle notices, keepalive closes.
    Noise,
    /// `unclassified` and `unparsable`.
    Unknown,
}

impl Kind {
    /// The kind as the JSON documents write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UpstreamFailure => "upstream-failure",
            Kind::UpstreamWarning => "upstream-warning",
            Kind::RequestFailure => "request-failure",
            Kind::Config => "config",
            Kind::Noise => "noise",
            Kind::Unknown => "unknown",
        }
    }
}

/// One row of the cause table.
#[derive(Debug)]
pub struct Cause {
    /// Stable id (part of the output contract).
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    /// What the client usually gets, in words (`"502"`, `"504"`,
    /// `"status already sent"`).
    pub client_status: &'static str,
    pub sigs: &'static [Sig],
    pub explanation: &'static str,
    /// Related lint rule ids (`ngxray explain ID`).
    pub rules: &'static [&'static str],
}

// Actions (see docs/logs.md: the ` while ACTION` part of a line).
const CONNECTING: &str = "connecting to upstream";
const SSL_UPSTREAM: &str = "SSL handshaking to upstream";
const SENDING: &str = "sending request to upstream";
const READING_HEADER: &str = "reading response header from upstream";
const READING_BODY: &str = "reading upstream";
const UPGRADED: &str = "proxying upgraded connection";
const RESOLVING: &str = "resolving";

/// Upstream phases before the response header reached the client: a failure
/// here is final (502/504) unless nginx retries another peer.
const BEFORE_HEADER: &[&str] = &[
    CONNECTING,
    SENDING,
    READING_HEADER,
    "SSL handshaking to upstream",
];

/// Phases on the client side of nginx.
const CLIENT_SIDE: &[&str] = &[
    "sending to client",
    "sending response to client",
    "sending early hints to client",
    "reading client request line",
    "reading client request headers",
    "reading client request body",
    "reading client pipelined request line",
    "waiting for request",
    "keepalive",
    "SSL handshaking",
    "reading PROXY protocol",
    "closing request",
    "logging request",
    "lingering close",
];

/// Stream (TCP/UDP) proxy phases after the session was connected.
const STREAM_PROXYING: &[&str] = &[
    "proxying connection",
    "proxying and reading from upstream",
    "proxying and sending to client",
    "proxying and reading from client",
    "proxying and sending to upstream",
];

const RESET_ERRNO: &[i32] = &[104, 32, 107];

use Text::{Any, Contains, Prefix, PrefixContains};

/// The table, in matching order. Index positions are [`CauseId`]s.
pub static CAUSES: &[Cause] = &[
    Cause {
        id: "peer-disabled",
        title: "Upstream server temporarily disabled",
        kind: Kind::UpstreamWarning,
        client_status: "none of its own",
        sigs: &[Sig::new(Prefix("upstream server temporarily disabled"), None)],
        explanation: "The [warn] companion of a failed attempt: the peer reached max_fails and is skipped for fail_timeout. It does not change the status of the current request; once every peer of a group is disabled the next requests get `no live upstreams` (502).",
        rules: &["upstream/missing-health-params", "upstream/single-server-guard-lost"],
    },
    Cause {
        id: "script-not-found",
        title: "FastCGI: primary script unknown",
        kind: Kind::RequestFailure,
        client_status: "404",
        sigs: &[Sig::new(PrefixContains("FastCGI sent in stderr:", "Primary script unknown"), Some(404))],
        explanation: "PHP-FPM could not find the script nginx asked for: SCRIPT_FILENAME (usually $document_root$fastcgi_script_name) points at a path that does not exist inside the FPM container or chroot, or `root` differs between nginx and FPM. FPM answers 404.",
        rules: &[],
    },
    Cause {
        id: "app-error",
        title: "Application fatal error (FastCGI stderr)",
        kind: Kind::RequestFailure,
        client_status: "500",
        sigs: &[
            Sig::new(PrefixContains("FastCGI sent in stderr:", "PHP Fatal error"), Some(500)),
            Sig::new(PrefixContains("FastCGI sent in stderr:", "PHP Parse error"), Some(500)),
        ],
        explanation: "The application died with a fatal error and reported it on FastCGI stderr; PHP answers 500. The backend is reachable: fix the application error quoted in the line.",
        rules: &["timeout/aggressive-read-timeout"],
    },
    Cause {
        id: "fastcgi-stderr",
        title: "FastCGI stderr output (warnings, notices)",
        kind: Kind::UpstreamWarning,
        client_status: "none (the response goes on)",
        sigs: &[Sig::new(Prefix("FastCGI sent in stderr:"), None)],
        explanation: "The application wrote to FastCGI stderr (PHP warnings and notices). The request itself usually succeeds; large amounts of stderr output can overflow fastcgi_buffer_size and turn into `upstream sent too big header` (502).",
        rules: &["buffer/header-buffer-too-small"],
    },
    Cause {
        id: "temp-file-buffering",
        title: "Body buffered to a temporary file",
        kind: Kind::Noise,
        client_status: "none",
        sigs: &[
            Sig::new(Prefix("a client request body is buffered to a temporary file"), None),
            Sig::new(Prefix("an upstream response is buffered to a temporary file"), None),
        ],
        explanation: "A request or response body did not fit the memory buffers and went to disk. Harmless on its own; frequent lines mean client_body_buffer_size or proxy_buffers are small for the traffic.",
        rules: &[],
    },
    Cause {
        id: "config-error",
        title: "Start-up or configuration error",
        kind: Kind::Config,
        client_status: "nginx does not start or reload",
        sigs: &[
            Sig::new(Any, None).levels(Levels::Emerg),
            Sig::new(Any, None).config_location(),
            Sig::new(PrefixContains("configuration file ", "test failed"), None),
            // `nginx -s reload` that could not signal the master.
            Sig::new(PrefixContains("open() \"", ".pid\" failed"), None),
            Sig::new(PrefixContains("invalid PID number", "in \""), None),
            Sig::new(Prefix("kill("), None).errno(&[3]),
            Sig::new(Prefix("could not open error log file"), None),
        ],
        explanation: "nginx refused to start or reload (an [emerg] line, often ending in ` in FILE:LINE`). On a failed reload the old configuration keeps serving; on a fresh start nothing listens, so a load balancer in front reports 502.",
        rules: &["dns/unresolvable-host", "upstream/undefined-upstream-name", "dns/resolve-param-misconfigured", "buffer/busy-buffers-invalid"],
    },
    Cause {
        id: "config-warning",
        title: "Configuration warning",
        kind: Kind::Config,
        client_status: "none (nginx runs; the setting is ignored)",
        sigs: &[
            Sig::new(Prefix("conflicting server name"), None),
            Sig::new(Prefix("setrlimit("), None),
            Sig::new(Prefix("using uninitialized \""), None),
        ],
        explanation: "nginx runs but ignored or could not apply part of the configuration: two server{} blocks with the same server_name on one address (the second never receives requests), worker_rlimit_nofile refused by the system (setrlimit), or a variable used before it was set.",
        rules: &[],
    },
    Cause {
        id: "bad-upstream-address",
        title: "Upstream address from variables is invalid",
        kind: Kind::UpstreamFailure,
        client_status: "500",
        sigs: &[
            Sig::new(Prefix("invalid URL prefix in"), Some(500)),
            Sig::new(Prefix("zero length URI to proxy"), Some(500)),
            Sig::new(Contains(" in upstream \""), Some(500)),
        ],
        explanation: "A `*_pass` built from variables evaluated to something nginx cannot connect to: no scheme (`invalid URL prefix`), no port (`no port in upstream`), an empty URI. nginx answers 500 without trying a connection; check the variables (often an empty header or map result).",
        rules: &["dns/variable-pass-without-resolver"],
    },
    Cause {
        id: "lua-error",
        title: "Lua handler failed (OpenResty)",
        kind: Kind::RequestFailure,
        client_status: "500 (none when the status was already sent)",
        sigs: &[
            Sig::new(Prefix("lua entry thread aborted"), Some(500)),
            Sig::new(Prefix("failed to run balancer_by_lua"), Some(500)),
            Sig::new(Prefix("failed to run body_filter_by_lua"), None),
            Sig::new(Prefix("failed to run log_by_lua"), None),
            Sig::new(Prefix("failed to run ssl_"), None),
            Sig::new(Prefix("failed to run "), Some(500)),
            Sig::new(Prefix("failed to load inlined Lua code"), Some(500)),
            Sig::new(Prefix("failed to load external Lua file"), Some(500)),
            Sig::new(Prefix("lua user thread aborted"), None),
        ],
        explanation: "A Lua handler raised a runtime error (`lua entry thread aborted: runtime error: …`, with the Lua stack traceback on the following lines) or could not be loaded; nginx answers 500. A failing balancer_by_lua* ends the upstream selection with 500 too. Errors in body_filter_by_lua* or log_by_lua* come after the status was sent.",
        rules: &[],
    },
    Cause {
        id: "lua-log",
        title: "Log line written by Lua code (ngx.log)",
        kind: Kind::UpstreamWarning,
        client_status: "decided by the Lua code",
        sigs: &[Sig::new(Prefix("[lua] "), None)],
        explanation: "A message the Lua code itself logged with ngx.log (`[lua] FILE:LINE: function(): text`), often about a backend it talks to through a cosocket (`failed to connect: connection refused`). The Lua code decides the response.",
        rules: &[],
    },
    Cause {
        id: "lua-socket-timeout",
        title: "Lua cosocket timed out (OpenResty)",
        kind: Kind::UpstreamWarning,
        client_status: "decided by the Lua code",
        sigs: &[
            Sig::new(PrefixContains("lua tcp socket", "timed out"), None),
            Sig::new(PrefixContains("lua udp socket", "timed out"), None),
        ],
        explanation: "A Lua cosocket (ngx.socket.tcp/udp, used by lua-resty-redis, -mysql, -http …) hit its timeout connecting, sending or reading. The Lua code gets the error and decides the response; an unhandled one ends as a Lua runtime error (500).",
        rules: &[],
    },
    Cause {
        id: "auth-request-failed",
        title: "auth_request subrequest returned an unexpected status",
        kind: Kind::UpstreamFailure,
        client_status: "500",
        sigs: &[Sig::new(Prefix("auth request unexpected status"), Some(500))],
        explanation: "The auth_request subrequest answered something other than 2xx, 401 or 403 (often the auth service's own 502/504 or 404 for a wrong location), so nginx answers 500. Look at the auth service and the internal location that proxies to it.",
        rules: &[],
    },
    Cause {
        id: "waf-denied",
        title: "ModSecurity denied the request",
        kind: Kind::RequestFailure,
        client_status: "403 (the rule's deny status)",
        sigs: &[
            Sig::new(Contains("ModSecurity: Access denied"), Some(403)).levels(Levels::ErrorOrWorse),
            Sig::new(Contains("ModSecurity: "), None),
        ],
        explanation: "A ModSecurity rule (OWASP CRS anomaly score, a custom SecRule) denied the request; the connector logs the intervention at [error] and the client gets the rule's status (403 by default). Rule matches logged without an intervention (detection only, warnings) have no status of their own.",
        rules: &[],
    },
    Cause {
        id: "client-abort",
        title: "Client closed the connection",
        kind: Kind::RequestFailure,
        client_status: "499",
        sigs: &[
            Sig::new(Contains("client prematurely closed connection"), None).phase(&[READING_BODY, "sending to client", UPGRADED]),
            Sig::new(Contains("reported that client prematurely closed connection"), Some(499)),
            Sig::new(Prefix("client prematurely closed connection"), Some(499)),
            Sig::new(Prefix("client timed out"), Some(408)).phase(&["reading client request headers", "reading client request body", "reading client request line"]),
            Sig::new(Any, None).errno(RESET_ERRNO).phase(CLIENT_SIDE),
            Sig::new(Prefix("client timed out"), None),
        ],
        explanation: "The client went away before nginx could answer (499), often because the upstream was slow and the client or a load balancer in front gave up first. Many 499s on one upstream point at its latency rather than at the clients.",
        rules: &["upstream/retry-unbounded"],
    },
    Cause {
        id: "client-tls",
        title: "Client TLS handshake failed",
        kind: Kind::Noise,
        client_status: "none (no request yet)",
        sigs: &[Sig::new(Any, None).phase(&["SSL handshaking"])],
        explanation: "A client failed the TLS handshake with nginx (old clients, scanners, wrong SNI). No request was made; this is not about upstreams.",
        rules: &[],
    },
    Cause {
        id: "tls-handshake",
        title: "TLS handshake to the upstream failed",
        kind: Kind::UpstreamFailure,
        client_status: "502 (504 on timeout)",
        sigs: &[
            Sig::new(Prefix("upstream timed out"), Some(504)).phase(&[SSL_UPSTREAM]),
            Sig::new(Any, Some(502)).phase(&[SSL_UPSTREAM]),
            Sig::new(Prefix("upstream SSL certificate"), Some(502)),
        ],
        explanation: "nginx could not complete TLS with the upstream: `https://` to a plain-HTTP port (wrong version number), no SNI where the backend needs it (alert 40/112, unrecognized name), certificate verification or name mismatch, or the peer closed the handshake. The failure is decided in the handshake, whatever the errno says.",
        rules: &["tls/scheme-port-mismatch", "tls/sni-disabled", "tls/sni-name-is-upstream-group", "tls/verify-misconfigured"],
    },
    Cause {
        id: "dns-failure",
        title: "Upstream name could not be resolved",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[
            Sig::new(Contains(" could not be resolved"), Some(502)),
            Sig::new(Any, None).phase(&[RESOLVING]),
            Sig::new(Prefix("no A or CNAME types in DNS response"), None),
        ],
        explanation: "The runtime resolver could not answer for the upstream name: NXDOMAIN (3: Host not found), SERVFAIL (2), refused (5) or no answer in resolver_timeout (110: Operation timed out, still a 502, not a 504). Lines ending `while resolving, resolver: ADDR` are about the resolver connection itself (nothing listening, refused).",
        rules: &["dns/static-hostname-resolved-once", "dns/unresolvable-host", "dns/resolver-timeout-too-long"],
    },
    Cause {
        id: "no-resolver",
        title: "No resolver defined for a variable upstream",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("no resolver defined to resolve "), Some(502))],
        explanation: "A `*_pass` with variables names a host that is not an upstream{} block and no `resolver` is configured, so nginx cannot look it up at request time.",
        rules: &["dns/variable-pass-without-resolver"],
    },
    Cause {
        id: "body-truncated",
        title: "Response body truncated (status already sent)",
        kind: Kind::UpstreamWarning,
        client_status: "status already sent (usually 200), body cut short",
        sigs: &[Sig::new(Any, None).phase(&[READING_BODY]).levels(Levels::ErrorOrWorse)],
        explanation: "The upstream failed while nginx was reading the response body (closed, reset, timed out, invalid chunking). The header, usually 200, was already sent, so the client gets a truncated body and the access log keeps the original status.",
        rules: &["timeout/aggressive-read-timeout", "keepalive/idle-timeout-race"],
    },
    Cause {
        id: "no-live-upstreams",
        title: "No live upstreams",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("no live upstreams"), Some(502))],
        explanation: "Every peer of the upstream group is marked failed (max_fails within fail_timeout) or down, so nginx did not even try to connect. The `upstream:` field shows the group name. Look at the errors just before: they disabled the peers.",
        rules: &["upstream/missing-health-params", "upstream/health-checks-disabled", "upstream/single-server-guard-lost", "upstream/next-upstream-marks-http-errors"],
    },
    Cause {
        id: "unix-socket-missing",
        title: "Unix socket does not exist",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("connect() to unix:"), Some(502)).errno(&[2])],
        explanation: "The socket path in `*_pass unix:...` does not exist: the app server (php-fpm, gunicorn, uwsgi) is not running, listens on another path (versioned php-fpm sockets), or the socket is in a private /tmp.",
        rules: &[],
    },
    Cause {
        id: "permission-denied",
        title: "Permission denied connecting to the upstream",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("connect()"), Some(502)).errno(&[13])],
        explanation: "The nginx worker may not connect: on a unix socket, the worker user is not allowed by the socket's owner/group/mode (or a parent directory); on a TCP address, almost always SELinux (httpd_can_network_connect).",
        rules: &[],
    },
    Cause {
        id: "backend-busy",
        title: "Backend listen queue full",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("connect()"), Some(502)).errno(&[11])],
        explanation: "`(11: Resource temporarily unavailable)` on connect: the backend's listen backlog is full (all php-fpm children or app workers busy).",
        rules: &[],
    },
    Cause {
        id: "resource-exhaustion",
        title: "nginx ran out of file descriptors, connections or ports",
        kind: Kind::UpstreamFailure,
        client_status: "500 (502 for exhausted ports)",
        sigs: &[
            Sig::new(Prefix("connect()"), Some(502)).errno(&[99]),
            Sig::new(Prefix("socket() failed"), Some(500)).phase(&[CONNECTING]),
            Sig::new(Contains("worker_connections are not enough"), Some(500)).phase(&[CONNECTING]),
            Sig::new(Contains("worker_connections are not enough"), None),
            Sig::new(Contains("worker_connections exceed open file resource limit"), None),
            Sig::new(Any, None).errno(&[24, 23, 12]),
        ],
        explanation: "nginx could not open a socket (24: Too many open files), has no free worker connection, or ran out of ephemeral ports (99: Cannot assign requested address). A request that hits this while connecting gets 500 (502 for port exhaustion). Also check for a proxy loop to itself.",
        rules: &["resources/fd-limit-below-connections", "keepalive/upstream-keepalive-ineffective", "upstream/proxy-loop-to-self"],
    },
    Cause {
        id: "connect-refused",
        title: "Connection refused",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("connect()"), Some(502)).errno(&[111])],
        explanation: "Nothing listens on the upstream address: the backend is down or restarting, listens on another port or interface (127.0.0.1 vs ::1), or a stale socket file is left behind. 502 unless another peer answers.",
        rules: &["dns/localhost-dual-stack", "dns/static-hostname-resolved-once"],
    },
    Cause {
        id: "connect-unreachable",
        title: "Upstream host or network unreachable",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("connect()"), Some(502)).errno(&[113, 101, 112, 100, 65])],
        explanation: "The kernel has no route to the upstream (113 No route to host, 101 Network is unreachable): a dead host, a stale IP after a container or load balancer change, a firewall rejecting, or an IPv6 address on a host without IPv6 egress.",
        rules: &["dns/static-hostname-resolved-once"],
    },
    Cause {
        id: "connect-timeout",
        title: "Connect timed out",
        kind: Kind::UpstreamFailure,
        client_status: "504 (502 when the kernel gave up first)",
        sigs: &[
            Sig::new(Prefix("upstream timed out"), Some(504)).phase(&[CONNECTING]),
            Sig::new(Prefix("connect()"), Some(502)).errno(&[110]),
        ],
        explanation: "The TCP connection was not established within proxy_connect_timeout (504): SYNs dropped by a firewall or security group, a dead host, an overloaded backend. `connect() failed (110)` means the kernel's SYN retries ran out first (502).",
        rules: &["timeout/connect-timeout-out-of-range", "dns/static-hostname-resolved-once"],
    },
    Cause {
        id: "send-timeout",
        title: "Timed out sending the request",
        kind: Kind::UpstreamFailure,
        client_status: "504",
        sigs: &[Sig::new(Prefix("upstream timed out"), Some(504)).phase(&[SENDING])],
        explanation: "The upstream stopped reading the request (large uploads, a stalled backend) for longer than *_send_timeout.",
        rules: &["timeout/aggressive-read-timeout"],
    },
    Cause {
        id: "read-timeout",
        title: "Timed out reading the response header",
        kind: Kind::UpstreamFailure,
        client_status: "504",
        sigs: &[
            Sig::new(Prefix("upstream timed out"), Some(504)).phase(&[READING_HEADER]),
            Sig::new(Prefix("upstream timed out"), None).phase(&[UPGRADED]),
            Sig::new(Prefix("upstream timed out"), Some(504)),
        ],
        explanation: "The upstream accepted the request but sent no response header within *_read_timeout (60s by default; the `upstream:` scheme tells which directive: fastcgi:// → fastcgi_read_timeout). Slow endpoints, stuck workers, or an app timeout longer than nginx's. In an upgraded (WebSocket) connection it is an idle tunnel closed by proxy_read_timeout, with no new status.",
        rules: &["timeout/aggressive-read-timeout", "timeout/websocket-idle-timeout"],
    },
    Cause {
        id: "premature-close",
        title: "Upstream closed the connection before answering",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[
            Sig::new(Prefix("upstream prematurely closed"), None).phase(&[UPGRADED]),
            Sig::new(Prefix("upstream prematurely closed"), Some(502)),
        ],
        explanation: "The upstream closed the connection before a complete response header: the worker crashed or was killed (OOM, gunicorn --timeout, php-fpm request_terminate_timeout, uwsgi harakiri), a keepalive connection the backend had already closed (sporadic, often POST), or a protocol mismatch (proxy_pass to a uwsgi port).",
        rules: &["keepalive/idle-timeout-race", "protocol/pass-directive-mismatch", "keepalive/hardcoded-connection-upgrade", "protocol/websocket-upgrade-missing"],
    },
    Cause {
        id: "connection-reset",
        title: "Connection reset by the upstream",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[
            Sig::new(Any, None).errno(RESET_ERRNO).phase(&[UPGRADED]),
            Sig::new(Any, None).errno(RESET_ERRNO).phase(STREAM_PROXYING),
            Sig::new(Any, Some(502)).errno(RESET_ERRNO).phase(BEFORE_HEADER),
            Sig::new(Prefix("connect()"), Some(502)).errno(RESET_ERRNO),
            Sig::new(Prefix("SSL_read() failed"), Some(502)).phase(BEFORE_HEADER),
            Sig::new(Prefix("SSL_write() failed"), Some(502)).phase(BEFORE_HEADER),
        ],
        explanation: "The upstream reset the connection (104) or the pipe broke (32) before a response header: a crashed or restarted worker, a keepalive connection closed by the backend just as nginx reused it, or a backend rejecting the request.",
        rules: &["keepalive/idle-timeout-race", "tls/scheme-port-mismatch"],
    },
    Cause {
        id: "header-too-big",
        title: "Upstream response header too big",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[Sig::new(Prefix("upstream sent too big header"), Some(502))],
        explanation: "The response header (large Set-Cookie, long Location, OIDC/SAML callbacks, or PHP stderr output) does not fit *_buffer_size. The `upstream:` scheme tells which directive to raise (proxy_buffer_size, fastcgi_buffer_size, ...).",
        rules: &["buffer/header-buffer-too-small"],
    },
    Cause {
        id: "protocol-mismatch",
        title: "Backend speaks another protocol",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[
            Sig::new(Prefix("upstream sent unsupported FastCGI protocol version: 72"), Some(502)),
            Sig::new(Prefix("upstream sent too large http2 frame: 4740180"), Some(502)),
        ],
        explanation: "The bytes the backend sent decode to another protocol: FastCGI version 72 is 'H' (an HTTP server answers on the FastCGI port: fastcgi_pass to an HTTP backend), an HTTP/2 frame size of 4740180 is \"HTT\" (an HTTP/1.x server behind grpc_pass or proxy_http_version 2).",
        rules: &["protocol/pass-directive-mismatch"],
    },
    Cause {
        id: "invalid-response",
        title: "Upstream sent an invalid response",
        kind: Kind::UpstreamFailure,
        client_status: "502",
        sigs: &[
            Sig::new(Prefix("upstream sent no valid HTTP/1.0 header"), None),
            Sig::new(Prefix("upstream sent data after final chunk"), None),
            Sig::new(Prefix("upstream sent more data than specified"), None),
            Sig::new(Prefix("upstream sent"), Some(502)),
            Sig::new(Prefix("memcached sent invalid"), Some(502)),
            Sig::new(Prefix("upstream rejected request"), Some(502)),
        ],
        explanation: "The upstream answered with something nginx cannot use: an invalid header line or status, an unexpected FastCGI record, a malformed memcached reply, invalid HTTP/2 frames. `upstream sent no valid HTTP/1.0 header` is relayed as HTTP/0.9 (access log status 009), usually proxy_pass to a port that does not speak HTTP.",
        rules: &["protocol/pass-directive-mismatch", "tls/scheme-port-mismatch", "keepalive/upstream-keepalive-ineffective"],
    },
    Cause {
        id: "rate-limited",
        title: "Rate or connection limit",
        kind: Kind::RequestFailure,
        client_status: "503 (limit_req_status / limit_conn_status)",
        sigs: &[
            Sig::new(Prefix("limiting requests"), Some(503)),
            Sig::new(Prefix("limiting connections"), Some(503)),
            Sig::new(Prefix("delaying request"), None),
        ],
        explanation: "limit_req or limit_conn rejected the request (503 unless limit_req_status/limit_conn_status says otherwise; `delaying request` lines were only slowed down). The zone is named in the line.",
        rules: &[],
    },
    Cause {
        id: "request-rejected",
        title: "Invalid or oversized client request",
        kind: Kind::RequestFailure,
        client_status: "400/413/414",
        sigs: &[
            Sig::new(Prefix("client intended to send too large body"), Some(413)),
            Sig::new(Prefix("client sent too long URI"), Some(414)),
            Sig::new(Prefix("client sent too large request"), Some(494)),
            Sig::new(Prefix("client sent plain HTTP request to HTTPS port"), Some(400)),
            Sig::new(Prefix("client sent"), Some(400)),
            Sig::new(Prefix("client SSL certificate verify error"), Some(400)),
            Sig::new(Prefix("invalid connection preface"), None),
        ],
        explanation: "nginx rejected the request itself: a body over client_max_body_size (413), a malformed request line or header (400), TLS bytes on a plain-HTTP port or plain HTTP on a TLS port, or HTTP/1 bytes where nginx expects HTTP/2 (`invalid connection preface`: the connection is closed without a response).",
        rules: &[],
    },
    Cause {
        id: "redirect-cycle",
        title: "Rewrite or internal redirection cycle",
        kind: Kind::RequestFailure,
        client_status: "500",
        sigs: &[Sig::new(Prefix("rewrite or internal redirection cycle"), Some(500))],
        explanation: "try_files, error_page or rewrite sent the request back to a location that redirects it again (more than 10 times), typically `try_files $uri $uri/ /index.php` where /index.php itself is not handled by a location that passes it on. nginx answers 500.",
        rules: &[],
    },
    Cause {
        id: "unauthorized",
        title: "Basic authentication failed",
        kind: Kind::RequestFailure,
        client_status: "401",
        sigs: &[
            Sig::new(Prefix("no user/password was provided for basic authentication"), Some(401)),
            Sig::new(PrefixContains("user \"", "password mismatch"), Some(401)),
            Sig::new(PrefixContains("user \"", "was not found in \""), Some(401)),
        ],
        explanation: "auth_basic refused the request: no credentials, an unknown user or a wrong password (401). A burst from one client is a password-guessing attempt; a burst from everyone after a deploy is a wrong auth_basic_user_file.",
        rules: &[],
    },
    Cause {
        id: "not-found",
        title: "File not found",
        kind: Kind::RequestFailure,
        client_status: "404",
        sigs: &[
            Sig::new(Prefix("open() \""), Some(404)).errno(&[2, 20]),
            Sig::new(Contains("\" is not found"), Some(404)),
            Sig::new(PrefixContains("key: \"", "was not found by memcached"), Some(404)),
        ],
        explanation: "A static file or index does not exist under root/alias (404). Usually scanners and missing favicons; a burst on one path after a deploy means a broken root or try_files.",
        rules: &[],
    },
    Cause {
        id: "forbidden",
        title: "Access forbidden",
        kind: Kind::RequestFailure,
        client_status: "403",
        sigs: &[
            Sig::new(Prefix("access forbidden by rule"), Some(403)),
            Sig::new(Contains("directory index of"), Some(403)),
            Sig::new(Prefix("open() \""), Some(403)).errno(&[13]),
            Sig::new(Prefix("stat() \""), Some(403)).errno(&[13]),
        ],
        explanation: "An allow/deny rule, a directory without an index, or file permissions refused the request (403).",
        rules: &[],
    },
    Cause {
        id: "connection-info",
        title: "Connection notices",
        kind: Kind::Noise,
        client_status: "none",
        sigs: &[
            Sig::new(PrefixContains("client ", "closed keepalive connection"), None),
            Sig::new(Prefix("client closed connection"), None),
            Sig::new(PrefixContains("client ", "connected to "), None),
            Sig::new(Prefix("connection timed out"), None).phase(STREAM_PROXYING),
            Sig::new(Contains("client disconnected"), None),
            Sig::new(Contains(" disconnected, bytes from/to "), None),
            Sig::new(Prefix("udp timed out, packets"), None),
            Sig::new(Prefix("udp done, packets"), None),
            Sig::new(PrefixContains("proxy ", " connected to "), None),
            Sig::new(PrefixContains("udp proxy ", " connected to "), None),
            Sig::new(Prefix("shutdown timeout"), None),
            Sig::new(Prefix("disconnected on shutdown"), None),
        ],
        explanation: "Normal connection events logged at info: keepalive connections closed, connections opened without a request, stream sessions closed by proxy_timeout.",
        rules: &[],
    },
    Cause {
        id: "worker-crash",
        title: "nginx worker process crashed",
        kind: Kind::Config,
        client_status: "connections of that worker are cut (a load balancer in front reports 502)",
        sigs: &[Sig::new(PrefixContains("worker process ", "exited on signal"), None)],
        explanation: "A worker process died on a signal (11: a segfault, often a third-party module or Lua C library; 9: the OOM killer). Every connection it held is cut without a response; the master starts a new worker. Look for core dumps and for the memory use of workers.",
        rules: &[],
    },
    Cause {
        id: "lifecycle",
        title: "Process lifecycle notices",
        kind: Kind::Noise,
        client_status: "none",
        sigs: &[
            Sig::new(Any, None).levels(Levels::NoticeWithoutConnection),
            Sig::new(PrefixContains("configuration file ", "syntax is ok"), None),
            Sig::new(PrefixContains("configuration file ", "test is successful"), None),
            Sig::new(PrefixContains("open socket #", "left in connection"), None),
        ],
        explanation: "Start, reload, log reopen and shutdown notices of the master and worker processes. Useful to line up a burst of errors with a reload.",
        rules: &[],
    },
    Cause {
        id: "unclassified",
        title: "Parsed, cause not recognised",
        kind: Kind::Unknown,
        client_status: "unknown",
        sigs: &[],
        explanation: "A well-formed error.log line whose message is not in the cause table. The samples show what it is; please report messages that should have a cause.",
        rules: &[],
    },
    Cause {
        id: "unparsable",
        title: "Not an error.log line",
        kind: Kind::Unknown,
        client_status: "unknown",
        sigs: &[],
        explanation: "The line has no `[level]` header (wrapped continuation lines, blank lines, other programs' output). It is counted so that nothing is lost.",
        rules: &[],
    },
];

/// Index of a row in [`CAUSES`].
pub type CauseId = u8;

/// The row of a cause id.
pub fn cause(id: CauseId) -> &'static Cause {
    &CAUSES[id as usize]
}

/// Find a cause by its id string.
pub fn find(id: &str) -> Option<CauseId> {
    CAUSES.iter().position(|c| c.id == id).map(|i| i as CauseId)
}

/// The id of `unclassified`.
pub fn unclassified() -> CauseId {
    (CAUSES.len() - 2) as CauseId
}

/// The id of `unparsable`.
pub fn unparsable() -> CauseId {
    (CAUSES.len() - 1) as CauseId
}

/// Does `level` satisfy the selector (with `cid` for connection-less lines)?
pub fn levels_match(sel: Levels, level: Option<Level>, has_connection: bool) -> bool {
    match sel {
        Levels::Any => true,
        Levels::Emerg => level == Some(Level::Emerg),
        Levels::ErrorOrWorse => level.is_some_and(|l| l <= Level::Error),
        Levels::NoticeWithoutConnection => level == Some(Level::Notice) && !has_connection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids that the output contract promises.
    const CONTRACT: &[&str] = &[
        "connect-refused",
        "connect-timeout",
        "connect-unreachable",
        "unix-socket-missing",
        "permission-denied",
        "backend-busy",
        "premature-close",
        "connection-reset",
        "send-timeout",
        "read-timeout",
        "no-live-upstreams",
        "header-too-big",
        "invalid-response",
        "protocol-mismatch",
        "no-resolver",
        "dns-failure",
        "tls-handshake",
        "body-truncated",
        "unclassified",
        "unparsable",
    ];

    #[test]
    fn kind_names_are_the_serialised_ones() {
        for c in CAUSES {
            let json = serde_json::to_string(&c.kind).unwrap();
            assert_eq!(json, format!("\"{}\"", c.kind.as_str()), "{}", c.id);
        }
    }

    #[test]
    fn contract_ids_exist() {
        for id in CONTRACT {
            assert!(find(id).is_some(), "missing cause {id}");
        }
        assert_eq!(cause(unclassified()).id, "unclassified");
        assert_eq!(cause(unparsable()).id, "unparsable");
    }

    #[test]
    fn ids_are_unique_kebab_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in CAUSES {
            assert!(seen.insert(c.id), "duplicate {}", c.id);
            assert!(c.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(!c.title.is_empty() && !c.explanation.is_empty());
            assert!(c.explanation.len() > 40, "{} explanation too short", c.id);
        }
        assert!(CAUSES.len() < 255);
    }

    #[test]
    fn rule_ids_look_like_rule_ids() {
        for c in CAUSES {
            for r in c.rules {
                let (cat, name) = r.split_once('/').expect("category/name");
                assert!(!cat.is_empty() && !name.is_empty(), "{r}");
            }
        }
    }
}
