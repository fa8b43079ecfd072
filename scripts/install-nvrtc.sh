#!/usr/bin/env bash
# Installs NVRTC from PyPI (`nvidia-cuda-nvrtc`) into .venv-nvrtc so the CUDA kernels can be
# compiled for sm_90 without a GPU (the kernel-compile tests), and prints the folder holding
# libnvrtc.so.13 for FLOE_CUDA_LIB_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv-nvrtc/bin/python ]]; then python3 -m venv .venv-nvrtc; fi
.venv-nvrtc/bin/python -m pip install --quiet --disable-pip-version-check "nvidia-cuda-nvrtc>=13,<14" >&2
lib="$(.venv-nvrtc/bin/python -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))')"
[[ -f "$lib/libnvrtc.so.13" ]] || { echo "libnvrtc.so.13 not found under $lib" >&2; exit 1; }
echo "$lib"
