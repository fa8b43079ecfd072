#!/usr/bin/env bash
# The embedding part of scripts/gpu-check.sh (`scripts/gpu-check.sh embed`), on the GPU machine:
#   1. correctness: `floe cuda-check` (every CUDA op incl. the encoder ops vs the CPU reference)
#      with --embedding-model for all-MiniLM-L6-v2 (real weights, in float16, if its pieces
#      arrived) against sentence-transformers' reference.json and sentence_goldens.json, and for a
#      random BERT-base-shaped model against sentence-transformers' fp32 embeddings made here;
#   2. speed: end-to-end tokens/s through Arctic's gRPC API (`floe serve --device cuda --grpc-port`
#      + `floe bench-embed --grpc`, tokenization and serialization included) for MiniLM (bf16 and
#      f16) and the BERT-base shape (snowflake-arctic-embed-m: 12 layers, 768 hidden, random
#      weights) on 50- and 512-token inputs (MiniLM: 50 and 256, its max_seq_length), each next to
#      sentence-transformers fp16 `model.encode` on the same card, same prompts, same run; the
#      BERT-base shape also in process (no server), then nsys kernel summaries if time allows.
#      Cases that would start after EMBED_TIME_BUDGET seconds (420) are skipped, so the whole
#      run stays inside the GPU machine's 10 minutes per command.
# Results (few files: the GPU machine returns at most 8): $OUT/embed-log.txt (everything printed),
# $OUT/embed-summary.json (tokens/s and ratio per case), $OUT/embed-cuda-check.{txt,json}, and
# $OUT/embed-details.tar.gz (per-case JSON, server logs, sentence-transformers' stderr).
# Expects gpu-check.sh to have unpacked the floe binary ($FLOE) and joined the pieces.
# For trying the script without a GPU: EMBED_DEVICE=cpu (floe and sentence-transformers on the CPU,
# f32), EMBED_SHAPE=tiny (scripts/make_random_bert.py's tiny shape), EMBED_COUNT_DIVISOR=N (fewer inputs).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-results}"
floe="${FLOE:-.gpu/run/floe}"
device="${EMBED_DEVICE:-cuda}"
shape="${EMBED_SHAPE:-bert-base}"
divisor="${EMBED_COUNT_DIVISOR:-1}"
work=/tmp/floe-embed/results
rm -rf "$work"
mkdir -p "$out" "$work"
trap 'tar czf "$out/embed-details.tar.gz" -C "$work" . 2>/dev/null' EXIT
log() { echo "[embed $(date +%H:%M:%S)] $*" | tee -a "$out/embed-log.txt"; }

python="${PYTHON:-python3}"
if ! "$python" -c "import torch, sentence_transformers" 2>/dev/null; then
  for candidate in /opt/torch/.venv/bin/python python; do
    if "$candidate" -c "import torch, sentence_transformers" 2>/dev/null; then python="$candidate"; break; fi
  done
fi
"$python" -c "import torch, sentence_transformers; print('torch', torch.__version__, 'sentence-transformers', sentence_transformers.__version__, 'cuda', torch.cuda.is_available())" \
  2>&1 | tee -a "$out/embed-log.txt" || { log "FAIL: no Python with torch and sentence-transformers (set PYTHON)"; exit 1; }
[[ -x "$floe" ]] || { log "FAIL: $floe is missing (run through scripts/gpu-check.sh embed)"; exit 1; }

# all-MiniLM-L6-v2 in float16: small files from .gpu/small, weights joined from pieces.
minilm=/tmp/floe-embed/all-MiniLM-L6-v2-f16
if [[ -f .gpu/run/all-MiniLM-L6-v2-f16.safetensors && -d .gpu/small/all-MiniLM-L6-v2-f16 ]]; then
  mkdir -p "$minilm"
  cp -r .gpu/small/all-MiniLM-L6-v2-f16/. "$minilm/"
  ln -sf "$PWD/.gpu/run/all-MiniLM-L6-v2-f16.safetensors" "$minilm/model.safetensors"
else
  log "all-MiniLM-L6-v2: weights not here (.gpu/run/all-MiniLM-L6-v2-f16.safetensors; its pieces travel in separate runs) - MiniLM cases skipped"
  minilm=""
fi

# The BERT-base-shaped random model and sentence-transformers' fp32 reference for it.
base=/tmp/floe-embed/$shape-random
tokenizer=.gpu/small/all-MiniLM-L6-v2-f16/tokenizer.json
if [[ ! -f "$base/model.safetensors" ]]; then
  log "writing the random $shape BERT model"
  "$python" scripts/make_random_bert.py "$base" --tokenizer "$tokenizer" --shape "$shape" --reference "$base/reference.json" \
    >"$work/embed-make-model.txt" 2>&1 || { log "FAIL: make_random_bert.py (see embed-make-model.txt)"; tail -5 "$work/embed-make-model.txt"; exit 1; }
fi

# 1. Correctness (on the GPU only).
pairs=("$base=$base/reference.json")
if [[ -n "$minilm" ]]; then
  pairs+=("$minilm=.gpu/small/embed/reference.json" "$minilm=.gpu/small/embed/sentence_goldens.json")
fi
check_status=0
if [[ "$device" == cuda ]]; then
  log "cuda-check with ${#pairs[@]} embedding references"
  "$floe" cuda-check --embedding-model "${pairs[@]}" --json "$out/embed-cuda-check.json" >"$out/embed-cuda-check.txt" 2>&1
  check_status=$?
  grep -E "^FAIL|checks passed" "$out/embed-cuda-check.txt" | tee -a "$out/embed-log.txt"
  grep -E "^\S+ \[(encoder|embedding)\]" "$out/embed-cuda-check.txt" >>"$out/embed-log.txt"
  [[ $check_status == 0 ]] || log "cuda-check FAILED (status $check_status): the numbers below are not to be trusted"
fi

# 2. Speed. One server per (model, dtype); each case measured with floe, then with
# sentence-transformers (whose figure for a model and length is reused across floe's dtypes). The
# summary is rewritten after every case, and cases past the time budget are skipped, so a run cut
# short by the machine's 10-minute limit still reports what it measured.
budget="${EMBED_TIME_BUDGET:-420}"
results="$work/embed-results.jsonl"
: >"$results"
port=18080
grpc=18081
summarize() {
  "$python" - "$results" "$out/embed-summary.json" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
json.dump(rows, open(sys.argv[2], "w"), indent=2)
print(f"{'case':<34} {'floe tok/s':>12} {'ST tok/s':>12} {'ratio':>7}")
for row in rows:
    floe = row["floe"]["tokens_per_second"] if row["floe"] else float("nan")
    st = row["sentence_transformers"]["tokens_per_second"] if row["sentence_transformers"] else float("nan")
    print(f"{row['case']:<34} {floe:>12.0f} {st:>12.0f} {row.get('ratio', float('nan')):>7.2f}")
PY
}
run_case() { # label model dtype tokens count st_batch [in-process [embedding instances]]
  local label=$1 model=$2 dtype=$3 tokens=$4 count=$(( $5 / divisor )) st_batch=$6 mode=${7:-grpc} instances=${8:-}
  if (( SECONDS > budget )); then log "skipped $label: past the time budget (${budget}s)"; return; fi
  local st_dtype=float16
  [[ "$device" == cuda ]] || st_dtype=float32
  local floe_json="$work/embed-$label-floe.json" st_json="$work/embed-st-$(basename "$model")-$tokens.json"
  local via=(--grpc "127.0.0.1:$grpc" --concurrency 128 --connections 8)
  if [[ $mode == in-process ]]; then
    local floe_dtype=$dtype
    [[ "$device" == cuda ]] || floe_dtype=auto
    via=(--device "$device" --dtype "$floe_dtype")
    if [[ -n $instances ]]; then via+=(--embedding-instances "$instances"); fi
  fi
  # In process, the engine's phase profile (FLOE_PROFILE_EMBED) lands in the log at its shutdown.
  FLOE_PROFILE_EMBED=1 "$floe" bench-embed "${via[@]}" --model "$model" --tokens "$tokens" --count "$count" --batch-size 32 --repeats 3 \
    --json "$floe_json" 2>&1 | tee -a "$out/embed-log.txt"
  if [[ ! -f "$st_json" ]]; then
    "$python" scripts/bench_embeddings_st_gpu.py "$model" "$tokens" "$count" "$st_batch" 3 --dtype "$st_dtype" --device "$device" \
      --json "$st_json" 2>>"$work/embed-st-stderr.txt" | tee -a "$out/embed-log.txt"
  fi
  "$python" - "$label" "$dtype" "$mode" "$floe_json" "$st_json" >>"$results" <<'PY'
import json, sys
label, dtype, mode, floe_path, st_path = sys.argv[1:6]
def load(path):
    try:
        return json.load(open(path))
    except Exception:
        return None
floe, st = load(floe_path), load(st_path)
row = {"case": label, "floe_dtype": dtype, "via": mode, "floe": floe, "sentence_transformers": st}
if floe and st:
    row["ratio"] = floe["tokens_per_second"] / st["tokens_per_second"]
print(json.dumps(row))
PY
  summarize >/dev/null
}
serve_and_run() { # name model dtype, then cases as "label tokens count st_batch"; $serve_instances: --embedding-instances
  local name=$1 model=$2 dtype=$3 instance_flags=()
  if [[ -n "${serve_instances:-}" ]]; then instance_flags=(--embedding-instances "$serve_instances"); fi
  shift 3
  if (( SECONDS > budget )); then log "skipped floe serve $name $dtype: past the time budget (${budget}s)"; return; fi
  local floe_dtype=$dtype
  [[ "$device" == cuda ]] || floe_dtype=auto
  log "floe serve $name --device $device --dtype $floe_dtype"
  # The server prints its engine's phase profile (FLOE_PROFILE_EMBED) to its log when stopped.
  FLOE_PROFILE_EMBED=1 "$floe" serve "$model" --device "$device" --dtype "$floe_dtype" --host 127.0.0.1 --port "$port" --grpc-port "$grpc" \
    "${instance_flags[@]}" >"$work/embed-serve-$name-$dtype.txt" 2>&1 &
  local server=$!
  local ready=""
  for _ in $(seq 1 240); do
    if grep -q "Arctic gRPC InferenceService on" "$work/embed-serve-$name-$dtype.txt"; then ready=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
  if [[ -z "$ready" ]]; then
    log "FAIL: floe serve $name did not come up:"; tail -20 "$work/embed-serve-$name-$dtype.txt" | tee -a "$out/embed-log.txt"
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
    return
  fi
  for spec in "$@"; do
    set -- $spec
    run_case "$name-$dtype-$1" "$model" "$dtype" "$2" "$3" "$4"
  done
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
  grep -A8 "embedding engine profile" "$work/embed-serve-$name-$dtype.txt" >>"$out/embed-log.txt"
}

nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | tee -a "$out/embed-log.txt"
# Cases: label tokens count sentence-transformers-batch; the issue's headline cases first. The
# server runs its default embedding instances (2 on CUDA); the headline case again with one
# instance shows what the second one gives.
serve_and_run "$shape" "$base" bfloat16 "t50 50 32768 512" "t512 512 4096 64"
serve_instances=1 serve_and_run "$shape-1-instance" "$base" bfloat16 "t50 50 32768 512"
if [[ -n "$minilm" ]]; then serve_and_run minilm "$minilm" bfloat16 "t50 50 32768 512" "t256 256 8192 128"; fi
# The model alone (no gRPC, no server): what serving costs on top.
run_case "$shape-bfloat16-t50-in-process" "$base" bfloat16 50 32768 512 in-process
run_case "$shape-bfloat16-t512-in-process" "$base" bfloat16 512 4096 64 in-process
run_case "$shape-bfloat16-t50-in-process-1-instance" "$base" bfloat16 50 32768 512 in-process 1
serve_and_run "$shape" "$base" float16 "t50 50 32768 512" "t512 512 4096 64"
if [[ -n "$minilm" ]]; then serve_and_run minilm "$minilm" float16 "t50 50 32768 512" "t256 256 8192 128"; fi
summarize | tee -a "$out/embed-log.txt"

# Where the GPU time goes (for the next optimization): an nsys kernel summary of the in-process
# BERT-base runs at 50 and 512 tokens, into the details archive; skipped without nsys or time.
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
if [[ "$device" == cuda && -n "$nsys" ]] && (( SECONDS < budget + 60 )); then
  for spec in "50 8192" "512 1024"; do
    set -- $spec
    "$nsys" profile -t cuda --force-overwrite true -o "$work/profile-t$1" "$floe" bench-embed --device cuda --model "$base" \
      --tokens "$1" --count "$2" --repeats 1 >"$work/profile-t$1.txt" 2>&1
    "$nsys" stats --report cuda_gpu_kern_sum --format csv "$work/profile-t$1.nsys-rep" >"$work/profile-t$1-kernels.csv" 2>&1
    rm -f "$work/profile-t$1.nsys-rep" "$work/profile-t$1.sqlite"
  done
  log "nsys kernel summaries in embed-details.tar.gz (profile-t50-kernels.csv, profile-t512-kernels.csv)"
fi
log "done: $out/embed-summary.json"
exit $check_status
