# syntax=docker/dockerfile:1
# The valkey-bench image: one binary, operator and runner alike (runner pods default to the
# operator's own image). Multi-arch (r7g nodes are Graviton/arm64):
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/valkey-bench:TAG --push .
# Without a Docker engine, hack/build-arm64.sh proves the arm64 build (cross-compile + unit
# tests under qemu-aarch64).

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
# The toolchain, the -dev packages, and python3 for the unit tests that need it (the kubesim
# module tests, and test_kube_stub's stub API server). tests/shipping/test_dockerfile.sh
# checks that every command the unit tests run comes from this list or the base image.
# build-packages:begin
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config python3 \
      libcurl4-openssl-dev libyaml-dev libhiredis-dev libwebsockets-dev libjansson-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
# build-packages:end
WORKDIR /src
COPY CMakeLists.txt ./
COPY controller ./controller
COPY tests ./tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build build -j"$(nproc)" \
 && ctest --test-dir build --output-on-failure -L unit \
 && strip --strip-unneeded -o /valkey-bench build/valkey-bench

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
# Only the shared libraries the binary links (tests/shipping/test_dockerfile.sh checks this
# list against the binary's NEEDED entries) and CA certificates for the API server's TLS.
# runtime-packages:begin
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcurl4 libyaml-0-2 libhiredis0.14 libwebsockets17 libjansson4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# runtime-packages:end
COPY --from=build /valkey-bench /usr/local/bin/valkey-bench
LABEL org.opencontainers.image.title="valkey-bench" \
      org.opencontainers.image.description="Valkey benchmark and topology-check operator (ValkeyBenchmark, ValkeyTopologyCheck)" \
      org.opencontainers.image.licenses="BSD-3-Clause"
# Non-root (65532, as distroless "nonroot"); the pod specs also set runAsNonRoot and a
# read-only root filesystem, which the binary is fine with (it writes nothing but /tmp).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/valkey-bench"]
