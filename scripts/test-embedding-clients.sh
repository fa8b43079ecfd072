#!/usr/bin/env bash
# Checks `floe serve` with an embedding model against real clients over loopback: the official
# `openai` Python package on /v1/embeddings, and a Python gRPC client generated with grpcio-tools
# from Protos/arctic_inference/inference.proto (Arctic Inference's API) on --grpc-port.
# Makes a venv (.venv-embed-clients), fetches all-MiniLM-L6-v2, starts the server on free ports,
# runs scripts/embedding_client_test.py, and stops the server.
#
# FLOE_BIN: a built floe executable to use (default: build it with `swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."

model="$(scripts/fetch-model.sh minilm)"
venv=.venv-embed-clients
if [[ ! -x $venv/bin/python ]]; then python3 -m venv $venv; fi
$venv/bin/python -m pip install --quiet --disable-pip-version-check openai grpcio grpcio-tools numpy

stubs="$(mktemp -d)"
$venv/bin/python -m grpc_tools.protoc -I Protos --python_out="$stubs" --grpc_python_out="$stubs" arctic_inference/inference.proto

if [[ -z "${FLOE_BIN:-}" ]]; then
  swift build -c release --product floe >/dev/null
  FLOE_BIN="$(swift build -c release --show-bin-path)/floe"
fi

free_port() { $venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
grpc_port="$(free_port)"
log="$(mktemp)"
"$FLOE_BIN" serve "$model" --host 127.0.0.1 --port "$port" --grpc-port "$grpc_port" --served-model-name minilm --threads 2 >"$log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$log" "$stubs"' EXIT

for _ in $(seq 1 300); do
  if $venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "floe serve exited early" >&2; exit 1; fi
  sleep 0.2
done

$venv/bin/python scripts/embedding_client_test.py "http://127.0.0.1:$port/v1" "127.0.0.1:$grpc_port" "$stubs" \
  Tests/Fixtures/all-MiniLM-L6-v2/reference.json || { cat "$log"; exit 1; }
