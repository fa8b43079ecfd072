#!/usr/bin/env bash
# Offline throughput of SmolLM2 on this CPU: Floe batched vs one at a time, and llama.cpp's
# llama-server (built by you, outside this repository) with as many parallel slots as prompts,
# driven with the same token-id prompts, in the same run.
#   LLAMA_SERVER=/path/to/llama-server scripts/bench-offline.sh [prompts] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
prompts="${1:-64}"; threads="${2:-$(nproc)}"
model=$(scripts/fetch-model.sh smollm2-135m)
swift build -c release --product floe >&2
mkdir -p .bench
.build/release/floe bench-offline --model "$model" --threads "$threads" --num-prompts "$prompts" \
    --input-len 128 --output-len 128 --prompts-out .bench/offline-prompts.json --json .bench/offline-floe.json
if [ -n "${LLAMA_SERVER:-}" ]; then
    "$LLAMA_SERVER" -m "$model" -t "$threads" -np "$prompts" -c $((prompts * 256)) --port 8089 \
        --host 127.0.0.1 > .bench/llama-server.log 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null' EXIT
    for _ in $(seq 1 120); do curl -sf http://127.0.0.1:8089/health >/dev/null && break; sleep 0.5; done
    python3 scripts/bench_llama_server.py --prompts .bench/offline-prompts.json --output-len 128 \
        --json .bench/offline-llama-server.json
    grep -h "VmHWM" /proc/$server/status || true
fi
