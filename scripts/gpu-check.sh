#!/usr/bin/env bash
# Runs on the GPU machine, from a copy of this repository, in one go; writes results into $OUT
# (or ./gpu-results). Prepare the carried files first with scripts/gpu-prepare.sh, which puts
# the static floe binary and small model files under .gpu/ (ignored by git).
#
#   scripts/gpu-check.sh check   # cuda-check: ops vs the CPU reference, goldens, engine checks
#   scripts/gpu-check.sh bench   # Llama-3.1-8B-shaped bf16 benchmarks next to transformers and
#                                # the copy/GEMM ceilings (../shared/tools/gpu_baseline.py)
#   scripts/gpu-check.sh profile # ncu per-kernel times of decode (batch 1 and 64) and prefill, 8B shape
#   scripts/gpu-check.sh extra   # GEMV comparison, host step phases, ncu summaries (after bench)
#   scripts/gpu-check.sh embed   # embeddings: encoder ops + MiniLM / BERT-base checks, then gRPC
#                                # tokens/s next to sentence-transformers (scripts/gpu-embed-bench.sh)
#   scripts/gpu-check.sh all     # check + bench
#
# Model files that are too big for one transfer travel in pieces (.gpu/pieces/NAME.partNN) over
# several runs on a warm machine; this script joins whatever pieces are complete.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
out="${OUT:-gpu-results}"
mkdir -p "$out" .gpu/run
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

floe=.gpu/run/floe
if [[ ! -x "$floe" || .gpu/bin/floe.gz -nt "$floe" ]]; then gunzip -c .gpu/bin/floe.gz >"$floe" && chmod +x "$floe"; fi
export FLOE_CACHE_DIR=.gpu/run/cache

# Join pieces: NAME.part00, NAME.part01, ... with NAME.sha256 beside them.
for sum in .gpu/pieces/*.sha256; do
  [[ -e "$sum" ]] || continue
  name="$(basename "$sum" .sha256)"
  [[ -f ".gpu/run/$name" ]] && continue
  cat .gpu/pieces/"$name".part* >".gpu/run/$name.tmp" 2>/dev/null
  if [[ "$(sha256sum ".gpu/run/$name.tmp" | cut -d' ' -f1)" == "$(cat "$sum")" ]]; then mv ".gpu/run/$name.tmp" ".gpu/run/$name"; echo "joined $name"
  else rm -f ".gpu/run/$name.tmp"; echo "$name: pieces incomplete"; fi
done

if [[ "$mode" == check || "$mode" == all ]]; then
  # stories260K's references are f32: checked with bf16 weights (near-ties may flip) and with f32
  # weights (--dtype float32), where greedy output must match exactly.
  goldens=(--f32-golden .gpu/small/stories260K/hf=.gpu/small/stories260K/reference_hf.json
           .gpu/small/stories260K/stories260K-f32.gguf=.gpu/small/stories260K/reference_hf.json
           --golden .gpu/small/stories260K/hf=.gpu/small/stories260K/reference_hf.json)
  engine=()
  if [[ -f .gpu/run/SmolLM2-135M-Instruct.Q4_1.gguf ]]; then
    goldens+=(.gpu/run/SmolLM2-135M-Instruct.Q4_1.gguf=.gpu/small/reference_smollm2_q4_1.json)
    engine=(--engine-model .gpu/run/SmolLM2-135M-Instruct.Q4_1.gguf)
  fi
  if [[ -f .gpu/run/Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf ]]; then
    goldens+=(.gpu/run/Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf=.gpu/small/reference_qwen05b_gguf.json)
  fi
  "$floe" cuda-check "${goldens[@]}" "${engine[@]}" --json "$out/cuda-check.json" 2>&1 | tee "$out/cuda-check.txt"
fi

if [[ "$mode" == bench || "$mode" == all ]]; then
  model=/tmp/floe-llama3-8b
  python3 .gpu/small/gpu_baseline.py --make-model "$model" --shape llama3-8b --out "$out/baseline.json" >"$out/baseline.txt" 2>&1
  # The random checkpoint has no tokenizer; Llama 3's own fits its vocabulary.
  [[ -f "$model/tokenizer.json" ]] || gunzip -c .gpu/small/llama3-tokenizer.json.gz >"$model/tokenizer.json"
  copy=$(python3 -c "import json; print(json.load(open('$out/baseline.json'))['copy_TBps'] * 1e12)")
  # The 2,048-token prompt in one forward pass, as transformers' prefill takes it; then in llama-bench's 512-token chunks for comparison.
  "$floe" bench --device cuda --model "$model" --prompt-tokens 2048 --gen-tokens 128 --repetitions 2 --prefill-chunk 2048 \
    --device-bandwidth "$copy" --json "$out/floe-bench.json" 2>&1 | tee "$out/floe-bench.txt"
  "$floe" bench --device cuda --model "$model" --prompt-tokens 2048 --gen-tokens 16 --repetitions 2 --prefill-chunk 512 \
    2>&1 | grep -E "^\| pp" | sed 's/pp2048/pp2048 (512-token chunks)/' | tee -a "$out/floe-bench.txt"
  # Decode alone with a cache sized for it (16 + 128 tokens), as llama-bench's tg128 runs: short
  # caches take the flash decode kernel, the 2,048-token cache above the split paged kernel.
  "$floe" bench --device cuda --model "$model" --prompt-tokens 16 --gen-tokens 128 --repetitions 2 \
    2>&1 | grep -E "^\| tg" | sed 's/tg128/tg128 (144-key cache)/' | tee -a "$out/floe-bench.txt"
  # The step token budget is vLLM's default on an 80 GB card (8192); then with 2048 for comparison.
  "$floe" bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 128 --output-len 128 \
    --sequential-prompts 1 --json "$out/floe-offline.json" 2>&1 | tee "$out/floe-offline.txt"
  echo "with --max-num-batched-tokens 2048:" | tee -a "$out/floe-offline.txt"
  "$floe" bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 128 --output-len 128 --sequential-prompts 0 \
    --max-num-batched-tokens 2048 2>&1 | tail -1 | tee -a "$out/floe-offline.txt"
  # Penalized greedy requests: the penalties are applied on the GPU (adjust_logits).
  echo "penalized (repetition 1.1, frequency 0.2), on the device:" | tee -a "$out/floe-offline.txt"
  "$floe" bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 128 --output-len 128 --sequential-prompts 0 \
    --repetition-penalty 1.1 --frequency-penalty 0.2 2>&1 | tail -1 | tee -a "$out/floe-offline.txt"
  # Sampled requests (temperature 1, top-p 0.9): tokens sampled on the GPU, then on the host.
  for where in device host; do
    echo "sampled (temperature 1, top-p 0.9), sampling on the $where:" | tee -a "$out/floe-offline.txt"
    FLOE_HOST_SAMPLING=$([[ $where == host ]] && echo 1 || echo 0) "$floe" bench-offline --device cuda --model "$model" \
      --num-prompts 64 --input-len 128 --output-len 128 --sequential-prompts 0 --temperature 1 --top-p 0.9 2>&1 | tail -1 | tee -a "$out/floe-offline.txt"
  done
fi

if [[ "$mode" == embed ]]; then
  FLOE="$floe" OUT="$out" scripts/gpu-embed-bench.sh
fi

if [[ "$mode" == profile ]]; then
  # Nsight Compute (the machine has no nsys): per-launch duration and DRAM bytes, caches and clocks
  # left as in a normal run, for a short decode at batch 1, a short batch-64 decode and a 2,048-token
  # prefill; raw per-launch CSVs (in launch order) plus a per-kernel summary.
  model=/tmp/floe-llama3-8b
  [[ -f "$model/model.safetensors" ]] || python3 .gpu/small/gpu_baseline.py --make-model "$model" --shape llama3-8b --batches 1 --out "$out/baseline-small.json" >/dev/null 2>&1
  [[ -f "$model/tokenizer.json" ]] || gunzip -c .gpu/small/llama3-tokenizer.json.gz >"$model/tokenizer.json"
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
  ncu_run() {  # NAME, then the floe arguments
    local name=$1; shift
    "$ncu" --csv --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,launch__grid_size \
      --cache-control none --clock-control none "$floe" "$@" >"$out/$name.csv" 2>"$out/$name.log"
    python3 scripts/ncu-summary.py "$out/$name.csv" >"$out/$name-summary.txt" 2>&1
    gzip -f "$out/$name.csv"
  }
  ncu_run decode1 bench --device cuda --model "$model" --prompt-tokens 64 --gen-tokens 8 --repetitions 1
  ncu_run decode64 bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 32 --output-len 4 --sequential-prompts 0
  ncu_run prefill2048 bench --device cuda --model "$model" --prompt-tokens 2048 --gen-tokens 1 --repetitions 1
fi

if [[ "$mode" == extra ]]; then
  # Diagnostics next to `bench` (same model): the warp-per-row GEMV for comparison, host-side step
  # phases (FLOE_PROFILE_STEPS) at batch 64, and ncu kernel summaries of short batch-1 and
  # batch-64 runs. Everything goes into extra.txt.
  model=/tmp/floe-llama3-8b
  [[ -f "$model/model.safetensors" ]] || python3 .gpu/small/gpu_baseline.py --make-model "$model" --shape llama3-8b --batches 1 --out "$out/baseline-small.json" >/dev/null 2>&1
  [[ -f "$model/tokenizer.json" ]] || gunzip -c .gpu/small/llama3-tokenizer.json.gz >"$model/tokenizer.json"
  {
    echo "== FLOE_CUDA_GEMV=rows (warp-per-row GEMV)"
    FLOE_CUDA_GEMV=rows "$floe" bench --device cuda --model "$model" --prompt-tokens 16 --gen-tokens 128 --repetitions 2 2>&1 | grep -E "^\| (pp|tg)"
    echo "== tiled GEMV (default)"
    "$floe" bench --device cuda --model "$model" --prompt-tokens 16 --gen-tokens 128 --repetitions 2 2>&1 | grep -E "^\| (pp|tg)"
    echo "== FLOE_PROFILE_STEPS=1 bench-offline 64 x (128 in, 128 out)"
    FLOE_PROFILE_STEPS=1 "$floe" bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 128 --output-len 128 \
      --sequential-prompts 0 2>&1 | tail -12
  } >"$out/extra.txt" 2>&1
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
  ncu_summary() {  # NAME, then the floe arguments
    local name=$1; shift
    "$ncu" --csv --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
      --cache-control none --clock-control none "$floe" "$@" >"/tmp/$name.csv" 2>/dev/null
    { echo "== ncu $name: $*"; python3 scripts/ncu-summary.py "/tmp/$name.csv"; } >>"$out/extra.txt" 2>&1
    gzip -c "/tmp/$name.csv" >"$out/ncu-$name.csv.gz"
  }
  ncu_summary decode1 bench --device cuda --model "$model" --prompt-tokens 16 --gen-tokens 8 --repetitions 1
  ncu_summary decode64 bench-offline --device cuda --model "$model" --num-prompts 64 --input-len 128 --output-len 6 --sequential-prompts 0
fi
