//! Reporters: one file per output format. They render diagnostics and
//! trees; they never decide what is a finding.

pub mod crossplane;
pub mod json;
pub mod text;
pub mod tree;
