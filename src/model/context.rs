//! nginx configuration contexts (the `cf->cmd_type` of `ngx_conf_file.c`):
//! which context the top level of a file is in, and which context each block
//! directive opens. Shared by grammar validation and the config model.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Main,
    Events,
    Http,
    Server,
    Location,
    Upstream,
    IfInServer,
    IfInLocation,
    LimitExcept,
    Stream,
    StreamServer,
    StreamUpstream,
    Mail,
    MailServer,
    /// A block whose body is data lines, not directives (`types`, `map`,
    /// `geo`, `split_clients`, `charset_map`, Plus `match`).
    Data,
    /// The body of a block directive ngxray does not know (third-party).
    Unknown,
}

impl Context {
    /// The name used by `nginx-directives.tsv` and by `--context`.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Main => "main",
            Context::Events => "events",
            Context::Http => "http",
            Context::Server => "server",
            Context::Location => "location",
            Context::Upstream => "upstream",
            Context::IfInServer => "if_in_server",
            Context::IfInLocation => "if_in_location",
            Context::LimitExcept => "limit_except",
            Context::Stream => "stream",
            Context::StreamServer => "stream_server",
            Context::StreamUpstream => "stream_upstream",
            Context::Mail => "mail",
            Context::MailServer => "mail_server",
            Context::Data => "data",
            Context::Unknown => "unknown",
        }
    }

    pub const NAMED: [Context; 14] = [
        Context::Main,
        Context::Events,
        Context::Http,
        Context::Server,
        Context::Location,
        Context::Upstream,
        Context::IfInServer,
        Context::IfInLocation,
        Context::LimitExcept,
        Context::Stream,
        Context::StreamServer,
        Context::StreamUpstream,
        Context::Mail,
        Context::MailServer,
    ];

    pub fn parse(s: &str) -> Option<Context> {
        Self::NAMED.iter().copied().find(|c| c.as_str() == s)
    }

    /// Is this an http-level context where `*_pass` inheritance applies
    /// (http, server, location, if, limit_except)?
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Context::Http
                | Context::Server
                | Context::Location
                | Context::IfInServer
                | Context::IfInLocation
                | Context::LimitExcept
                | Context::Upstream
        )
    }

    /// The context a block directive named `name` opens when it appears in
    /// `self`. `None` when `name` is not a block nginx knows in this context.
    pub fn child(self, name: &str) -> Option<Context> {
        use Context::*;
        Some(match (self, name) {
            (Main, "events") => Events,
            (Main, "http") => Http,
            (Main, "stream") => Stream,
            (Main, "mail") => Mail,
            (Http, "server") => Server,
            (Http, "upstream") => Upstream,
            (Stream, "server") => StreamServer,
            (Stream, "upstream") => StreamUpstream,
            (Mail, "server") => MailServer,
            (Server | Location, "location") => Location,
            (Server, "if") => IfInServer,
            (Location, "if") => IfInLocation,
            (Location, "limit_except") => LimitExcept,
            (
                Http | Server | Location | Stream | StreamServer,
                "types" | "map" | "geo" | "split_clients" | "charset_map" | "match",
            ) => Data,
            (_, n) if n.ends_with("_by_lua_block") => Data,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
