//! Reporters: one file per output format. They render diagnostics and
//! trees; they never decide what is a finding.

pub mod concise;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;
pub mod tree;
