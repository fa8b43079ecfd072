#!/usr/bin/env bash
# Runs Floe's test suite: fetches the model files the tests read (sha256-checked), then runs
# every test in release mode (model tests run real forward passes; debug Swift is too slow).
# Tests that need a GPU are tagged `.gpu` and run on the GPU machine (scripts/gpu-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh smollm2-135m >/dev/null
scripts/fetch-model.sh qwen2.5-coder-0.5b >/dev/null
exec swift test -c release -Xswiftc -enable-testing "$@"
