//! Resource rules: per-worker limits (file descriptors, connections) that a
//! proxy exhausts twice as fast as a static server.

pub mod fd_limit_below_connections;
