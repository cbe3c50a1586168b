# The container image deploy/kubernetes runs: the same release binary as
# `cargo install` and the Debian package, on a slim Debian, as a non-root user.
#
#   docker build -t registry.corp.example/exchange-exposure:0.1.0 .
#   docker push registry.corp.example/exchange-exposure:0.1.0
#
# Stage 1 builds (the vendored OpenSSL of the legacy-TLS fallback needs the C
# compiler, perl and make the rust image has); stage 2 carries only the binary
# and the CA certificates rustls-native-certs reads.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin exchange-exposure \
 && strip target/release/exchange-exposure \
 && target/release/exchange-exposure --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 exposure \
 && useradd --system --uid 10001 --gid exposure --home-dir /nonexistent --shell /usr/sbin/nologin exposure
COPY --from=build /src/target/release/exchange-exposure /usr/local/bin/exchange-exposure
COPY inventory.example.csv /usr/share/doc/exchange-exposure/inventory.example.csv
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["exchange-exposure"]
CMD ["--help"]
