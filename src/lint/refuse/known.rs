//! Variables stock nginx defines (names and prefix families): an unknown
//! variable is reported only when its name is none of these.

/// Variables of nginx and its stock modules (http and stream), any
/// release. Names not here but of a [`KNOWN_PREFIXES`] family are known too.
const KNOWN: &[&str] = &[
    "ancient_browser",
    "args",
    "binary_remote_addr",
    "body_bytes_sent",
    "bytes_received",
    "bytes_sent",
    "connection",
    "connection_requests",
    "connection_time",
    "connections_active",
    "connections_reading",
    "connections_waiting",
    "connections_writing",
    "content_length",
    "content_type",
    "date_gmt",
    "date_local",
    "document_root",
    "document_uri",
    "fastcgi_path_info",
    "fastcgi_script_name",
    "gzip_ratio",
    "host",
    "hostname",
    "http2",
    "http3",
    "https",
    "invalid_referer",
    "is_args",
    "limit_rate",
    "memcached_key",
    "modern_browser",
    "msec",
    "msie",
    "nginx_version",
    "pid",
    "pipe",
    "protocol",
    "query_string",
    "realpath_root",
    "remote_addr",
    "remote_port",
    "remote_user",
    "request",
    "request_body",
    "request_body_file",
    "request_completion",
    "request_filename",
    "request_id",
    "request_length",
    "request_method",
    "request_time",
    "request_uri",
    "scheme",
    "secure_link",
    "secure_link_expires",
    "server_addr",
    "server_name",
    "server_port",
    "server_protocol",
    "session_time",
    "slice_range",
    "spdy",
    "spdy_request_priority",
    "status",
    "time_iso8601",
    "time_local",
    "uri",
    "uid_got",
    "uid_reset",
    "uid_set",
    "dollar",
    "quic",
];

/// Families of names modules define (`$ssl_*`, `$upstream_*`, …) and the
/// prefix variables (`$http_*`, `$arg_*`, …).
const KNOWN_PREFIXES: &[&str] = &[
    "arg_",
    "http_",
    "sent_http_",
    "sent_trailer_",
    "cookie_",
    "upstream_",
    "ssl_",
    "geoip_",
    "proxy_",
    "realip_",
    "jwt_",
    "limit_",
    "tcpinfo_",
    "request_",
    "session_",
    "connection",
    "fastcgi_",
    "uwsgi_",
    "scgi_",
    "grpc_",
    "memcached_",
    "uid_",
    "secure_link",
    "mqtt_",
    "otel_",
    "acme_",
    "spdy",
    "http",
    "time_",
    "date_",
    "server_",
    "remote_",
    "content_",
    "document_",
    "binary_",
    "bytes_",
    "status",
    "early_",
    "quic",
    "upstream",
];

/// A variable of nginx or a stock module by its exact name (lower case, as
/// nginx looks names up), without the families of [`KNOWN_PREFIXES`]:
/// `lint::template` asks it whether an upper-case `$NAME` in a template is
/// nginx's (`$HOST`) or an envsubst placeholder (`$PROXY_TIMEOUT`).
pub(crate) fn is_stock_name(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// Known to nginx or a stock module, or a bare prefix (reported by the
/// prefix check of [`super::variables`]).
pub(super) fn is_known(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_digit())
        || KNOWN.contains(&name)
        || KNOWN_PREFIXES.iter().any(|p| name.starts_with(p))
        || matches!(
            name,
            "arg"
                | "cookie"
                | "sent_http"
                | "sent_trailer"
                | "upstream_http"
                | "upstream_cookie"
                | "upstream_trailer"
        )
        || name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names() {
        assert!(is_known("host"));
        assert!(is_known("ssl_anything"));
        assert!(is_known("1"));
        assert!(is_known("ENV_STYLE"));
        assert!(!is_known("nosuch"));
        assert!(!is_known("foo_bar"));
    }
}
