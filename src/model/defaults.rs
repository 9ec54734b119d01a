//! Built-in defaults of nginx directives, for effective values where no level
//! of the configuration sets a directive. The table (`data/directive-defaults.tsv`)
//! covers `proxy_*`, `fastcgi_*`, `uwsgi_*`, `scgi_*`, `grpc_*`,
//! `memcached_*`, keepalive, resolver, every `*_timeout`, `*_buffer*`,
//! `*_next_upstream*` and the upstream `server` parameters (`server:max_fails`).
//! It was derived from the `ngx_conf_merge_*` calls of the nginx source and
//! checked against nginx.org. A name can have several rows (http and stream
//! modules); the row whose contexts include the asking scope's wins.

use super::Context;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRow {
    pub name: &'static str,
    pub module: &'static str,
    /// Comma-separated context names (`http,server,location`).
    pub contexts: &'static str,
    /// nginx.org notation: `60s`, `4k|8k` (page-size dependent), `error timeout`,
    /// `(none)` when the directive has no default.
    pub default: &'static str,
}

// `ROWS`, written by build.rs from `data/directive-defaults.tsv`, sorted by
// name.
include!(concat!(env!("OUT_DIR"), "/defaults.rs"));

/// The context name to look a default up with (`if` and `limit_except`
/// blocks take location-level defaults).
fn lookup_context(ctx: Context) -> &'static str {
    match ctx {
        Context::IfInServer | Context::IfInLocation | Context::LimitExcept => "location",
        other => other.as_str(),
    }
}

/// The built-in default of `name` as seen from a scope of kind `ctx`.
/// `None` when the table does not know the directive or it has no default.
pub fn default_of(name: &str, ctx: Context) -> Option<&'static str> {
    let rows = Some(rows(name)).filter(|r| !r.is_empty())?;
    let want = lookup_context(ctx);
    let row = rows
        .iter()
        .find(|r| r.contexts.split(',').any(|c| c == want))
        .or_else(|| {
            // stream server/upstream asking for an http-only row (or the
            // reverse) gets nothing rather than the wrong module's default
            let stream = want.starts_with("stream");
            rows.iter()
                .find(|r| r.contexts.starts_with("stream") == stream)
        })?;
    (row.default != "(none)" && !row.default.is_empty()).then_some(row.default)
}

/// Every row for a name (all modules).
pub fn rows(name: &str) -> &'static [DefaultRow] {
    let start = ROWS.partition_point(|r| r.name < name);
    let end = start + ROWS[start..].partition_point(|r| r.name == name);
    &ROWS[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_by_context() {
        assert_eq!(
            default_of("proxy_read_timeout", Context::Location),
            Some("60s")
        );
        assert_eq!(
            default_of("proxy_read_timeout", Context::IfInLocation),
            Some("60s")
        );
        assert_eq!(
            default_of("proxy_timeout", Context::StreamServer),
            Some("10m")
        );
        assert_eq!(
            default_of("proxy_next_upstream", Context::Location),
            Some("error timeout")
        );
        assert_eq!(
            default_of("proxy_next_upstream", Context::StreamServer),
            Some("on")
        );
        assert_eq!(
            default_of("keepalive_timeout", Context::Upstream),
            Some("60s")
        );
        assert_eq!(
            default_of("keepalive_timeout", Context::Server),
            Some("75s")
        );
        assert_eq!(default_of("server:max_fails", Context::Upstream), Some("1"));
        assert_eq!(default_of("resolver", Context::Http), None);
        assert_eq!(
            default_of("resolver_timeout", Context::Location),
            Some("30s")
        );
        assert_eq!(default_of("no_such_directive", Context::Http), None);
        assert_eq!(default_of("limit_req_status", Context::Server), Some("503"));
        // rows are found whatever their place in the file
        for r in ROWS.iter() {
            assert!(rows(r.name).iter().any(|x| std::ptr::eq(x, r)));
        }
    }
}
