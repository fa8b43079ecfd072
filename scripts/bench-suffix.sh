#!/usr/bin/env bash
# Suffix-tree cost per call, Floe vs Arctic Inference's own C++ tree, on the same token
# streams in the same run (docs/benchmarks.md). Arctic's extension is built from the PyPI sdist
# arctic-inference==0.3.0 OUTSIDE the repository (default /work/peers/arctic; override with
# ARCTIC_DIR); nothing of it is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCTIC_DIR=${ARCTIC_DIR:-/work/peers/arctic}
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}

if [ ! -d "$ARCTIC_DIR/pkg/arctic_inference/suffix_decoding" ]; then
    mkdir -p "$ARCTIC_DIR" && cd "$ARCTIC_DIR"
    python3 -m venv venv
    venv/bin/pip install -q nanobind numpy cmake
    venv/bin/pip download -q --no-deps --no-binary :all: --no-build-isolation arctic-inference==0.3.0 -d . || true
    tar xzf arctic_inference-0.3.0.tar.gz
    mkdir -p build && (cd build && ../venv/bin/cmake ../arctic_inference-0.3.0/csrc/suffix_decoding \
        -DPython_EXECUTABLE="$ARCTIC_DIR/venv/bin/python" -DCMAKE_BUILD_TYPE=Release && make)
    mkdir -p pkg/arctic_inference/suffix_decoding
    touch pkg/arctic_inference/__init__.py
    cp arctic_inference-0.3.0/arctic_inference/suffix_decoding/*.py pkg/arctic_inference/suffix_decoding/
    cp build/_C*.so pkg/arctic_inference/suffix_decoding/
    cd - > /dev/null
fi

swift build -c release --product floe > /dev/null
STREAMS=$(mktemp --suffix=.json)
uptime
.build/release/floe bench-suffix --model "$MODEL" --streams-out "$STREAMS"
PYTHONPATH="$ARCTIC_DIR/pkg" "$ARCTIC_DIR/venv/bin/python" scripts/bench-suffix-arctic.py "$STREAMS"
uptime
rm -f "$STREAMS"
