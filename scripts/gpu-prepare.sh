#!/usr/bin/env bash
# Builds the static floe binary and gathers what scripts/gpu-check.sh needs on the GPU machine
# under .gpu/ (ignored by git): .gpu/bin/floe.gz, .gpu/small/ (stories260K, golden files,
# Llama 3's tokenizer, gpu_baseline.py) and .gpu/pieces/ (bigger models cut into 31 MiB pieces
# that travel over several runs). Uses ../shared for the reference material.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${FLOE_SHARED:-../shared}"
# Its own build folder: the static flags would otherwise rebuild everything the tests built.
build=(swift build -c release --static-swift-stdlib --scratch-path .build-static --product floe)
"${build[@]}"
mkdir -p .gpu/bin .gpu/small/stories260K .gpu/pieces
strip -o .gpu/bin/floe "$("${build[@]}" --show-bin-path)/floe"
gzip -f -9 .gpu/bin/floe
cp "$shared"/models/stories260K/hf/* .gpu/small/stories260K/ 2>/dev/null || true
mkdir -p .gpu/small/stories260K/hf && cp "$shared"/models/stories260K/hf/* .gpu/small/stories260K/hf/
cp "$shared"/models/stories260K/gguf/stories260K-f32.gguf "$shared"/models/stories260K/reference_hf.json .gpu/small/stories260K/
cp "$shared"/models/SmolLM2-135M-Instruct/reference_gguf_q4_1.json .gpu/small/reference_smollm2_q4_1.json
cp "$shared"/models/Qwen2.5-Coder-0.5B-Instruct/reference_gguf.json .gpu/small/reference_qwen05b_gguf.json
cp "$shared"/tools/gpu_baseline.py .gpu/small/
gzip -c -9 "$shared"/models/tokenizers/llama3/tokenizer.json >.gpu/small/llama3-tokenizer.json.gz
# Embeddings (gpu-check.sh embed): all-MiniLM-L6-v2 stored as float16 (45 MB instead of 90): its
# small files and sentence-transformers references here, its weights as pieces below.
minilm="$(scripts/fetch-model.sh minilm)"
if [[ ! -f .gpu/pieces/all-MiniLM-L6-v2-f16.safetensors.sha256 ]]; then
  rm -rf .gpu/small/all-MiniLM-L6-v2-f16
  python3 scripts/convert_safetensors_f16.py "$minilm" .gpu/small/all-MiniLM-L6-v2-f16
  mv .gpu/small/all-MiniLM-L6-v2-f16/model.safetensors .gpu/all-MiniLM-L6-v2-f16.safetensors
  split -b 31M -d .gpu/all-MiniLM-L6-v2-f16.safetensors .gpu/pieces/all-MiniLM-L6-v2-f16.safetensors.part
  sha256sum .gpu/all-MiniLM-L6-v2-f16.safetensors | cut -d' ' -f1 >.gpu/pieces/all-MiniLM-L6-v2-f16.safetensors.sha256
  rm .gpu/all-MiniLM-L6-v2-f16.safetensors
fi
mkdir -p .gpu/small/embed
cp "$minilm/reference.json" .gpu/small/embed/reference.json 2>/dev/null || cp "$shared"/models/all-MiniLM-L6-v2/reference.json .gpu/small/embed/
cp Tests/Fixtures/all-MiniLM-L6-v2/sentence_goldens.json .gpu/small/embed/
for model in models/SmolLM2-135M-Instruct.Q4_1.gguf ${FLOE_GPU_EXTRA_MODELS:-}; do
  name="$(basename "$model")"
  [[ -f .gpu/pieces/$name.sha256 ]] && continue
  split -b 31M -d "$model" ".gpu/pieces/$name.part"
  sha256sum "$model" | cut -d' ' -f1 >".gpu/pieces/$name.sha256"
done
du -sh .gpu/bin .gpu/small .gpu/pieces
