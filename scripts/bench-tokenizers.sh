#!/usr/bin/env bash
# Floe's tokenizers next to Hugging Face `tokenizers` on the same corpus, 1 and 2 threads.
# Creates .venv-bench (git-ignored) with the `tokenizers` wheel, builds floe in release, runs
# `floe bench-tokenizer` (which writes the corpus), then the HF script on that file, and prints
# a markdown table with Floe/HF ratios. Run from anywhere; works in the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
OUT=${OUT:-$(mktemp -d /tmp/floe-tokenizer-bench.XXXXXX)}
HF_VERSION=${HF_VERSION:-0.23.3}

if [ ! -x .venv-bench/bin/python ]; then python3 -m venv .venv-bench; fi
.venv-bench/bin/pip install --quiet "tokenizers==${HF_VERSION}"

swift build --scratch-path "$SCRATCH" -c release --product floe
"$SCRATCH/release/floe" bench-tokenizer --write-corpus "$OUT/corpus.txt" --json "$OUT/floe.json" ${LINEARITY:+--linearity} "$@"
for threads in 1 2; do
  RAYON_NUM_THREADS=$threads .venv-bench/bin/python scripts/hf_tokenizer_bench.py measure \
    --corpus "$OUT/corpus.txt" --json "$OUT/hf$threads.json"
done
echo
grep -m1 "model name" /proc/cpuinfo || true
.venv-bench/bin/python -c "import tokenizers; print('HF tokenizers', tokenizers.__version__)"
.venv-bench/bin/python scripts/hf_tokenizer_bench.py table --floe "$OUT/floe.json" --hf "$OUT/hf1.json" "$OUT/hf2.json"
echo "results in $OUT"
