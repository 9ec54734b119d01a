//! ngxray finds the causes of nginx 502 Bad Gateway and 504 Gateway Timeout:
//! before users hit them, by linting configuration (`lint`), and after, by
//! grouping error.log lines by cause (`logs`).
//!
//! Config side: bytes → [`syntax`] (source map, lexer, parser) → [`model`]
//! (includes, contexts, inheritance) → [`lint`] (grammar + rules) →
//! [`diag::Diagnostic`] → [`report`]. Log side: [`logs`].
//!
//! Only [`cli`] writes to the terminal: the library returns values and
//! errors, so it can be embedded and tested without capturing output.

#![deny(clippy::print_stdout, clippy::print_stderr)]

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod cli;
pub mod crossplane;
pub mod diag;
pub mod diagnose;
pub mod dns;
pub mod export;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod lint;
pub mod load;
pub mod logs;
pub mod model;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod sanitize;
pub mod source;
pub mod syntax;
