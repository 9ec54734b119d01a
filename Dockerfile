# syntax=docker/dockerfile:1
#
# The ngxray image: one static binary (musl) in an empty image.
#
#   docker build -t ngxray .
#   docker run --rm -v "$PWD:/work" ngxray lint nginx/
#   nginx -T 2>/dev/null | docker run --rm -i ngxray lint -
#
# The build stage is Alpine's Rust, whose host target is musl: the `dist`
# profile (Cargo.toml) then links one self-contained executable, which runs
# from `scratch` (no libc, no shell, no package manager to patch). ngxray
# needs nothing else at run time: rule pages and tables are built in, and
# TLS roots for `probe` are compiled in (webpki-roots).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
# C compiler and musl headers for the crates that build C (mimalloc, ring).
# hadolint ignore=DL3018
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY . .
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
# The cargo registry and target directory are build caches (BuildKit), so
# the binary is copied out of the target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist --bin ngxray \
    && cp target/dist/ngxray /usr/local/bin/ngxray \
    && /usr/local/bin/ngxray --version \
    && if ldd /usr/local/bin/ngxray 2>/dev/null | grep -q '=>'; then \
         echo "ngxray links shared libraries; the scratch image needs a static binary" >&2; exit 1; \
       fi

FROM scratch
COPY --from=build /usr/local/bin/ngxray /usr/local/bin/ngxray
# Mount the configuration to lint here: `-v "$PWD:/work"`.
WORKDIR /work
# Any unprivileged id: ngxray only reads its inputs.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ngxray"]
CMD ["--help"]
