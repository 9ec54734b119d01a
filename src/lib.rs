//! ngxray finds the causes of nginx 502 Bad Gateway and 504 Gateway Timeout:
//! before users hit them, by linting configuration (`lint`), and after, by
//! grouping error.log lines by cause (`logs`).
//!
//! Config side: bytes → [`syntax`] (source map, lexer, parser) → [`model`]
//! (includes, contexts, inheritance) → [`lint`] (grammar + rules) →
//! [`diag::Diagnostic`] → [`report`]. Log side: [`logs`].

pub mod cli;
pub mod diag;
pub mod diagnose;
pub mod export;
pub mod lint;
pub mod load;
pub mod logs;
pub mod model;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod sanitize;
pub mod syntax;
