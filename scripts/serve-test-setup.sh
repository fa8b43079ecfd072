# Sourced by scripts/test-openai-client.sh and scripts/test-load.sh: the SmolLM2 model, the
# .venv-openai venv (openai, httpx), FLOE_BIN (built with `swift build -c release` when unset),
# a free loopback port, and `start_server ARGS…`, which starts `floe serve` on them (stopping it
# on exit) and waits for /health.
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

start_server() {
  "$FLOE_BIN" serve "$model" --host 127.0.0.1 --port "$port" "$@" >"$log" 2>&1 &
  server=$!
  trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
  for _ in $(seq 1 300); do
    if .venv-openai/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then return 0; fi
    if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "floe serve exited early" >&2; exit 1; fi
    sleep 0.2
  done
  cat "$log"; echo "floe serve did not become healthy" >&2; exit 1
}
