#!/usr/bin/env bash
# Embedding throughput on CPU: `floe bench-embed` next to sentence-transformers (PyTorch CPU)
# in the same run, same threads, same prompts, for 50- and 256-token inputs (docs/benchmarks.md).
# The peer lives in a venv outside git (PEER_VENV, default /work/peers/st/venv; made here with
# torch's CPU wheel and sentence-transformers if missing).
#   scripts/bench-embed.sh [threads=2]
# EMBED_INSTANCES="1 2" runs floe once per --embedding-instances value (default 1);
# FLOE_PROFILE_EMBED=1 adds the engine's phase profile after each floe run.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
venv="${PEER_VENV:-/work/peers/st/venv}"
model="$(scripts/fetch-model.sh minilm)"
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch sentence-transformers
fi
# FLOE_BIN: a built floe executable to use (default: build it with `swift build -c release`).
if [[ -z "${FLOE_BIN:-}" ]]; then
  swift build -c release --product floe >/dev/null
  FLOE_BIN="$(swift build -c release --show-bin-path)/floe"
fi
floe="$FLOE_BIN"
echo "load: $(uptime)"
for spec in "50 512" "256 256"; do
  set -- $spec
  for instances in ${EMBED_INSTANCES:-1}; do
    "$floe" bench-embed --model "$model" --tokens "$1" --count "$2" --batch-size 32 --threads "$threads" --repeats 2 \
      --embedding-instances "$instances"
  done
  "$venv/bin/python" scripts/bench_embeddings_st.py "$model" "$1" "$2" 32 "$threads" 2 2>/dev/null
done
echo "load: $(uptime)"
