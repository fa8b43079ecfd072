#!/usr/bin/env bash
# Checks `floe serve` against the official `openai` Python client: makes a venv (.venv-openai),
# installs `openai`, starts the server with SmolLM2 on a free loopback port, runs
# scripts/openai_client_test.py, and stops the server.
#
# FLOE_BIN: a built floe executable to use (default: build it with `swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."

model="${FLOE_MODELS_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf"
[[ -f "$model" ]] || scripts/fetch-model.sh smollm2-135m >/dev/null

if [[ ! -x .venv-openai/bin/python ]]; then python3 -m venv .venv-openai; fi
.venv-openai/bin/python -m pip install --quiet --disable-pip-version-check openai httpx

if [[ -z "${FLOE_BIN:-}" ]]; then
  swift build -c release --product floe >/dev/null
  FLOE_BIN="$(swift build -c release --show-bin-path)/floe"
fi

port="$(.venv-openai/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
"$FLOE_BIN" serve "$model" --host 127.0.0.1 --port "$port" --served-model-name smollm2 --api-key sk-floe-test \
  --max-model-len 1024 --kv-cache-memory $((64 << 20)) --max-num-seqs 1 --max-waiting-requests 0 >"$log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 300); do
  if .venv-openai/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "floe serve exited early" >&2; exit 1; fi
  sleep 0.2
done

.venv-openai/bin/python scripts/openai_client_test.py "http://127.0.0.1:$port/v1" sk-floe-test smollm2
