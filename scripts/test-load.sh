#!/usr/bin/env bash
# Load test of `floe serve` (scripts/load_test.py): 64 concurrent streaming clients with a third
# disconnecting, three rounds, metrics and RSS checks, a hung-up non-streaming client, and a
# SIGTERM drain. Uses the venv of scripts/test-openai-client.sh (plus httpx).
#
# FLOE_BIN: a built floe executable to use (default: build it with `swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/serve-test-setup.sh
start_server --served-model-name smollm2 \
  --max-model-len 2048 --kv-cache-memory $((128 << 20)) --max-num-seqs 64

if ! .venv-openai/bin/python scripts/load_test.py "http://127.0.0.1:$port" "$server"; then
  cat "$log"; exit 1
fi
# The script sent SIGTERM after draining a stream: the server must exit by itself, with 0.
for _ in $(seq 1 150); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$server" 2>/dev/null; then echo "floe serve did not exit after SIGTERM" >&2; exit 1; fi
wait "$server" || { status=$?; cat "$log"; echo "floe serve exited with $status after SIGTERM" >&2; exit 1; }
echo "load test: server drained and exited 0"
