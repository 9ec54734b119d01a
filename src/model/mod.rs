//! The whole-config model: includes expanded, the context of every directive,
//! the upstream index and effective values with nginx's inheritance.

pub mod context;
pub use context::Context;
