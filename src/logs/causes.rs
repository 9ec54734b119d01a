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
    /// `[crit]` or more severe.
    CritOrWorse,
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

mod table;

pub use table::CAUSES;

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
        Levels::CritOrWorse => level.is_some_and(|l| l <= Level::Crit),
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
