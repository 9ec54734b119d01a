//! Protocol rules: the `*_pass` module, scheme and headers must match what
//! the backend speaks (HTTP/1.x, FastCGI, gRPC, WebSocket upgrades).
//!
//! [`websocket_hint`] is the WebSocket heuristic shared with the keepalive
//! rules: a location whose path names a WebSocket endpoint, a pass to such
//! a URI, or a backend named like one.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    websocket_upgrade_missing,
    pass_directive_mismatch,
}

use crate::model::{Context, Model, Pass, ScopeId};
use crate::syntax::Directive;

/// Path segments that name WebSocket endpoints in common frameworks
/// (socket.io, SockJS, Rails Action Cable, SignalR, Phoenix, GraphQL
/// subscriptions, webpack/Next.js hot reload).
const WEBSOCKET_WORDS: &[&str] = &[
    "ws",
    "wss",
    "websocket",
    "websockets",
    "socket",
    "socket.io",
    "sockjs",
    "sockjs-node",
    "cable",
    "signalr",
    "hub",
    "hubs",
    "subscriptions",
    "graphql-ws",
    "webpack-hmr",
];

/// Does a location path (as written, any modifier) look like a WebSocket
/// endpoint? Words are compared whole (`/news` is not `/ws`).
pub fn is_websocket_path(path: &str) -> bool {
    // a static file under a WebSocket path (`/socket.io/socket.io.js`) is
    // plain HTTP
    let last = path.rsplit('/').next().unwrap_or(path);
    if [".js", ".css", ".map", ".html", ".json"]
        .iter()
        .any(|ext| last.len() > ext.len() && ends_ci(last, ext))
    {
        return false;
    }
    // every word, prefix and suffix above has an `s` or a `b`
    if !path.bytes().any(|b| matches!(b, b's' | b'S' | b'b' | b'B')) {
        return false;
    }
    path.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .any(|w| {
            WEBSOCKET_WORDS.iter().any(|x| w.eq_ignore_ascii_case(x))
                || starts_ci(w, "websocket")
                || starts_ci(w, "ws-")
                || starts_ci(w, "ws_")
                || ends_ci(w, "-ws")
                || ends_ci(w, "_ws")
        })
}

/// `w` starts with the lowercase ASCII `prefix`, ignoring ASCII case.
fn starts_ci(w: &str, prefix: &str) -> bool {
    w.len() >= prefix.len() && w.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `w` ends with the lowercase ASCII `suffix`, ignoring ASCII case.
fn ends_ci(w: &str, suffix: &str) -> bool {
    w.len() >= suffix.len()
        && w.as_bytes()[w.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The nearest enclosing `location` of a scope, when its path looks like a
/// WebSocket endpoint.
pub fn websocket_location<'a>(m: &Model<'a>, scope: ScopeId) -> Option<&'a Directive> {
    let loc = m.enclosing(scope, Context::Location)?;
    let d = m.scope(loc).block?;
    d.args
        .last()
        .is_some_and(|w| is_websocket_path(w.as_str()))
        .then_some(d)
}

/// Words in a backend host or upstream name that mark a WebSocket service
/// (`ws_backend`, `websocket`, `chat-ws`).
const WEBSOCKET_HOST_WORDS: &[&str] = &["ws", "wss", "websocket", "websockets", "socketio"];

/// Why a `proxy_pass` looks like it serves WebSockets: its location's path,
/// the URI it passes to (`http://app:3000/socket.io/`), or a backend named
/// like one (`upstream websocket {}`). Returns the directive that says so
/// and what it says.
pub fn websocket_hint<'a>(m: &Model<'a>, p: &Pass<'a>) -> Option<(&'a Directive, String)> {
    if let Some(loc) = websocket_location(m, p.scope) {
        let path = loc.args.last().map(|w| w.as_str()).unwrap_or_default();
        return Some((loc, format!("location {path}")));
    }
    let uri_ws = p.target.uri.as_deref().is_some_and(is_websocket_path);
    let host_ws = p.target.host.name().is_some_and(|h| {
        h.split(['.', '-', '_']).any(|w| {
            WEBSOCKET_HOST_WORDS
                .iter()
                .any(|x| w.eq_ignore_ascii_case(x))
        })
    });
    (uri_ws || host_ws).then(|| {
        (
            p.directive,
            format!("{} {}", p.directive.name(), p.target.raw),
        )
    })
}

/// The path of the nearest enclosing location (`/api/`, `~ \.php$`), for
/// messages.
pub fn location_path(m: &Model<'_>, scope: ScopeId) -> Option<String> {
    let loc = m.enclosing(scope, Context::Location)?;
    let d = m.scope(loc).block?;
    Some(
        d.args
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_paths() {
        for p in [
            "/ws",
            "/ws/",
            "/api/ws",
            "/socket.io/",
            "/cable",
            "/hubs/chat",
            "^/(ws|api)/",
            "/sockjs-node",
            "/websocket/",
            "/live/websocket",
            "/_next/webpack-hmr",
            "/app-ws",
        ] {
            assert!(is_websocket_path(p), "{p}");
        }
        for p in ["/WS", "/Api/WebSocket2", "/chat-WS", "/Socket.IO/"] {
            assert!(is_websocket_path(p), "{p}");
        }
        for p in [
            "/",
            "/news",
            "/api/",
            "/wsdl",
            "/static/js/socket-client.js.map",
            "/docs",
        ] {
            assert!(!is_websocket_path(p), "{p}");
        }
    }
}
