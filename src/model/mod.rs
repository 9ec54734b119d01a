//! The whole-config model: includes expanded, the context of every directive,
//! the upstream index and effective values with nginx's inheritance.

pub mod context;
pub mod walk;

pub use context::Context;
pub use walk::{walk, Visit};
