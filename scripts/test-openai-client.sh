#!/usr/bin/env bash
# Checks `floe serve` against the official `openai` Python client: makes a venv (.venv-openai),
# installs `openai`, starts the server with SmolLM2 on a free loopback port, runs
# scripts/openai_client_test.py, and stops the server.
#
# FLOE_BIN: a built floe executable to use (default: build it with `swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/serve-test-setup.sh
start_server --served-model-name smollm2 --api-key sk-floe-test \
  --max-model-len 1024 --kv-cache-memory $((64 << 20)) --max-num-seqs 1 --max-waiting-requests 0

.venv-openai/bin/python scripts/openai_client_test.py "http://127.0.0.1:$port/v1" sk-floe-test smollm2
