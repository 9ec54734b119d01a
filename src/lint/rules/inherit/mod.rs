//! Inheritance rules: nginx's all-or-nothing inheritance of array
//! directives, where one line at an inner level silently discards every one
//! set at outer levels.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    proxy_set_header_dropped,
}
