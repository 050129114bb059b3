# Latchkey: multi-stage build, small non-root runtime image.
#   docker build -t latchkey .
#   docker run -p 8080:8080 -v latchkey:/var/lib/latchkey latchkey
# Configuration by environment (LATCHKEY_<SECTION>__<KEY>, e.g. LATCHKEY_DATABASE__URL);
# secrets as files (`*_file` keys) mounted from the orchestrator's secret store.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY rust-toolchain.toml Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo build --release --locked -p latchkey-server \
 && install -D -m 0755 target/release/latchkey /out/latchkey

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/latchkey --create-home latchkey
COPY --from=build /out/latchkey /usr/local/bin/latchkey
USER 10001:10001
WORKDIR /var/lib/latchkey
VOLUME ["/var/lib/latchkey"]
ENV LATCHKEY_LISTEN=0.0.0.0:8080 \
    LATCHKEY_DATABASE__URL=sqlite:///var/lib/latchkey/latchkey.db \
    LATCHKEY_LOG__FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/latchkey", "health"]
ENTRYPOINT ["/usr/local/bin/latchkey"]
CMD ["serve"]
