#!/usr/bin/env bash
# Serving throughput and latency of SmolLM2 on this CPU, all in one run:
#   1. the offline API (`floe bench-offline`, the same number of prompts, at most 16 in the batch),
#   2. `floe serve` driven over HTTP by `floe bench serve` (prompts: 64 unless given, 16 concurrent clients),
#   3. llama.cpp's `llama-server` (built by you, outside this repo) with 16 slots, driven by the
#      same `floe bench serve` command.
# Every request: 128 random prompt tokens (sent as token ids), exactly 128 output tokens
# (ignore_eos, greedy), streamed.
#   LLAMA_SERVER=/path/to/llama-server scripts/bench-serve.sh [threads] [prompts]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"; prompts="${2:-64}"
concurrency=16; input=128; output=128
model=$(scripts/fetch-model.sh smollm2-135m)
# FLOE_BIN: a built floe to use (default: build one with `swift build -c release`).
if [ -z "${FLOE_BIN:-}" ]; then swift build -c release --product floe >&2; FLOE_BIN=.build/release/floe; fi
floe="$FLOE_BIN"
mkdir -p .bench
uptime

wait_health() {
  for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.5; done
  echo "server on port $1 did not come up" >&2; return 1
}

bench_serve() {  # port label
  "$floe" bench serve --base-url "http://127.0.0.1:$1" --model smollm2 --tokenizer "$model" \
    --dataset-name random --random-input-len $input --random-output-len $output --random-token-ids \
    --num-prompts $prompts --max-concurrency $concurrency --ignore-eos --seed 1 \
    --goodput ttft:2000 tpot:100 --label "$2" --result-filename ".bench/serve-$2.json"
}

"$floe" bench-offline --model "$model" --threads "$threads" --num-prompts $prompts --max-num-seqs $concurrency \
  --input-len $input --output-len $output --sequential-prompts 1 --json .bench/serve-offline.json

"$floe" serve "$model" --host 127.0.0.1 --port 8090 --served-model-name smollm2 --threads "$threads" \
  --max-num-seqs $concurrency --max-model-len 2048 --kv-cache-memory $((1 << 30)) > .bench/floe-serve.log 2>&1 &
floe_server=$!
trap 'kill $floe_server 2>/dev/null || true' EXIT
wait_health 8090
bench_serve 8090 floe
kill -TERM $floe_server; wait $floe_server || true
uptime

if [ -n "${LLAMA_SERVER:-}" ]; then
  "$LLAMA_SERVER" -m "$model" -t "$threads" -np $concurrency -c $((concurrency * 512)) --port 8091 \
    --host 127.0.0.1 > .bench/llama-server-serve.log 2>&1 &
  llama=$!
  trap 'kill $llama 2>/dev/null || true' EXIT
  wait_health 8091
  bench_serve 8091 llama-server
  kill $llama; wait $llama 2>/dev/null || true
  uptime
fi
