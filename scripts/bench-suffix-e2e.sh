#!/usr/bin/env bash
# Suffix decoding end to end on this CPU (docs/benchmarks.md): SmolLM2 Q4_1 with and without
# `{"method": "suffix"}`, same binary, back to back — the repetitive workload one at a time and
# 4 at once, then 32 random prompts at once. Prints the load average before each pair.
#   [FLOE_BIN=.build/release/floe] scripts/bench-suffix-e2e.sh [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
model=$(scripts/fetch-model.sh smollm2-135m)
bin="${FLOE_BIN:-.build/release/floe}"
[ -n "${FLOE_BIN:-}" ] || swift build -c release --product floe >&2
spec='{"method": "suffix"}'
run() { "$bin" bench-offline --model "$model" --threads "$threads" --kv-cache-memory 256MiB "$@"; }
echo "== repetitive, 128 in / 128 out, 4 prompts (load: $(cut -d' ' -f1-3 /proc/loadavg))"
run --workload repetitive --num-prompts 4 --input-len 128 --output-len 128 --sequential-prompts 4
run --workload repetitive --num-prompts 4 --input-len 128 --output-len 128 --sequential-prompts 4 --speculative-config "$spec"
echo "== random, 32 prompts at once, 64 in / 64 out (load: $(cut -d' ' -f1-3 /proc/loadavg))"
run --num-prompts 32 --input-len 64 --output-len 64 --sequential-prompts 0
run --num-prompts 32 --input-len 64 --output-len 64 --sequential-prompts 0 --speculative-config "$spec"
