//! Inheritance rules: nginx's all-or-nothing inheritance of array
//! directives, where one line at an inner level silently discards every one
//! set at outer levels.

pub mod proxy_set_header_dropped;
