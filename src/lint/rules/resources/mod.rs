//! Resource rules: per-worker limits (file descriptors, connections) that a
//! proxy exhausts twice as fast as a static server.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    fd_limit_below_connections,
}
