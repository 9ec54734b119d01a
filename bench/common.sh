# Shared set-up of the lint benchmark scripts (sourced, not run).

# Build the release binary (and `cargo build` ARGS more) and make a
# temporary directory, removed on exit. Sets $ngxray and $work.
bench_binary() {
  cargo build --release --quiet --bin ngxray "$@"
  ngxray="$PWD/target/release/ngxray"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
}

# Also build the config generator, write the generated config with the
# given number of servers into $work and enter it.
bench_config() {
  local servers="$1"
  bench_binary --example gen-config
  "$PWD/target/release/examples/gen-config" "$servers" "$work/nginx.conf"
  cd "$work"
  echo "input: $servers servers, $(stat -c %s nginx.conf) bytes; $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
