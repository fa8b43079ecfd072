#!/usr/bin/env bash
# CPU prefill/decode benchmark of the issue's two models, each next to the decode bandwidth
# bound and llama.cpp's llama-bench on the same file with the same threads, in one run.
#   LLAMA_BENCH=/path/to/llama-bench scripts/bench-cpu.sh [threads]
# llama-bench is built by you, outside this repository (any recent llama.cpp release).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
smol=$(scripts/fetch-model.sh smollm2-135m)
qwen=$(scripts/fetch-model.sh qwen2.5-coder-0.5b)
swift build -c release --product floe >&2
mkdir -p .bench
for model in "$smol" "$qwen"; do
    name=$(basename "$model" .gguf)
    .build/release/floe bench --model "$model" --threads "$threads" --prompt-tokens 512 --gen-tokens 128 \
        ${LLAMA_BENCH:+--llama-bench "$LLAMA_BENCH"} --json ".bench/cpu-$name.json"
    echo
done
