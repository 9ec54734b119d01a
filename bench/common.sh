# Shared set-up of the lint benchmark scripts (sourced, not run): build the
# release binary and the config generator, write the generated config with
# the given number of servers into a temporary directory (removed on exit)
# and enter it. Sets $ngxray and $work.
bench_config() {
  local servers="$1"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cargo build --release --quiet --bin ngxray --example gen-config
  ngxray="$PWD/target/release/ngxray"
  "$PWD/target/release/examples/gen-config" "$servers" "$work/nginx.conf"
  cd "$work"
  echo "input: $servers servers, $(stat -c %s nginx.conf) bytes; $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
