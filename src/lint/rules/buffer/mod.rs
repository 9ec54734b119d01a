//! Buffer rules: the upstream response header must fit `*_buffer_size`, and
//! the buffer sizes must form a combination nginx accepts at load.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    header_buffer_too_small,
    busy_buffers_invalid,
}

/// Module prefixes with `*_buffer_size` (the header buffer).
pub const HEADER_BUFFER_PREFIXES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi", "grpc"];

/// Module prefixes with `*_buffers` / `*_busy_buffers_size` checked at load.
pub const BUFFERED_PREFIXES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi"];

/// Format bytes the way people write nginx sizes (`16k`, `1m`, `1g`, `1000`).
pub fn format_size(bytes: u64) -> String {
    const K: u64 = 1024;
    if bytes != 0 && bytes.is_multiple_of(K * K * K) {
        format!("{}g", bytes / (K * K * K))
    } else if bytes != 0 && bytes.is_multiple_of(K * K) {
        format!("{}m", bytes / (K * K))
    } else if bytes != 0 && bytes.is_multiple_of(K) {
        format!("{}k", bytes / K)
    } else {
        bytes.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(format_size(4096), "4k");
        assert_eq!(format_size(28 * 1024), "28k");
        assert_eq!(format_size(1 << 20), "1m");
        assert_eq!(format_size(1 << 30), "1g");
        assert_eq!(format_size(1000), "1000");
        assert_eq!(format_size(0), "0");
    }
}
