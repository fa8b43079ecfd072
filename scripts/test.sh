#!/usr/bin/env bash
# Runs Floe's test suite: fetches the model files the tests read (sha256-checked), then runs
# every test in release mode (model tests run real forward passes; debug Swift is too slow),
# then the official `openai` Python client against `floe serve` (scripts/test-openai-client.sh),
# the serving load test (scripts/test-load.sh) and the embedding server against the `openai` and
# gRPC clients (scripts/test-embedding-clients.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh smollm2-135m >/dev/null
scripts/fetch-model.sh qwen2.5-coder-0.5b >/dev/null
scripts/fetch-model.sh minilm >/dev/null
# NVRTC from PyPI, so the CUDA kernel sources are compiled for sm_90 here (no GPU needed).
FLOE_CUDA_LIB_DIR="$(scripts/install-nvrtc.sh)"
export FLOE_CUDA_LIB_DIR
# Build the test bundle by name, then test without building: a plain `swift test` builds every
# target of every package, including swift-protobuf's `protoc` (about 1,000 C++ files, which
# only its code-generation plugin needs; Floe commits its generated code instead).
swift build -c release -Xswiftc -enable-testing --product FloePackageTests
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
# The OpenAI-compatibility check: the official `openai` Python client against `floe serve`.
# Same flags as the tests, so the executable reuses their build.
swift build -c release -Xswiftc -enable-testing --product floe >/dev/null
FLOE_BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/floe" scripts/test-openai-client.sh
# The load test: 64 concurrent streaming clients, disconnects, metrics, RSS, SIGTERM drain.
FLOE_BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/floe" scripts/test-load.sh
# Embeddings: the `openai` client on /v1/embeddings and a grpcio-tools client on Arctic's gRPC API.
FLOE_BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/floe" scripts/test-embedding-clients.sh
