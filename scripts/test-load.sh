#!/usr/bin/env bash
# Load test of `floe serve` (scripts/load_test.py): 64 concurrent streaming clients with a third
# disconnecting, three rounds, metrics and RSS checks, a hung-up non-streaming client, and a
# SIGTERM drain. Uses the venv of scripts/test-openai-client.sh (plus httpx).
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
"$FLOE_BIN" serve "$model" --host 127.0.0.1 --port "$port" --served-model-name smollm2 \
  --max-model-len 2048 --kv-cache-memory $((128 << 20)) --max-num-seqs 64 >"$log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 300); do
  if .venv-openai/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "floe serve exited early" >&2; exit 1; fi
  sleep 0.2
done

if ! .venv-openai/bin/python scripts/load_test.py "http://127.0.0.1:$port" "$server"; then
  cat "$log"; exit 1
fi
# The script sent SIGTERM after draining a stream: the server must exit by itself, with 0.
for _ in $(seq 1 150); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$server" 2>/dev/null; then echo "floe serve did not exit after SIGTERM" >&2; exit 1; fi
wait "$server" || { status=$?; cat "$log"; echo "floe serve exited with $status after SIGTERM" >&2; exit 1; }
echo "load test: server drained and exited 0"
