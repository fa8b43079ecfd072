#!/usr/bin/env bash
# Runs Floe's test suite: fetches the model files the tests read (sha256-checked), then runs
# every test in release mode (model tests run real forward passes; debug Swift is too slow),
# then the official `openai` Python client against `floe serve` (scripts/test-openai-client.sh)
# and the serving load test (scripts/test-load.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh smollm2-135m >/dev/null
scripts/fetch-model.sh qwen2.5-coder-0.5b >/dev/null
# NVRTC from PyPI, so the CUDA kernel sources are compiled for sm_90 here (no GPU needed).
FLOE_CUDA_LIB_DIR="$(scripts/install-nvrtc.sh)"
export FLOE_CUDA_LIB_DIR
swift test -c release -Xswiftc -enable-testing "$@"
# The OpenAI-compatibility check: the official `openai` Python client against `floe serve`.
# Same flags as the tests, so the executable reuses their build.
swift build -c release -Xswiftc -enable-testing --product floe >/dev/null
FLOE_BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/floe" scripts/test-openai-client.sh
# The load test: 64 concurrent streaming clients, disconnects, metrics, RSS, SIGTERM drain.
FLOE_BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/floe" scripts/test-load.sh
