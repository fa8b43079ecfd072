#!/usr/bin/env python3
"""Writes the golden fixtures that Floe's reference dequantizer (`dequantizeRow`) is tested against.

For each format, Tests/Fixtures/dequant/<type>.blocks holds raw block bytes and <type>.f32 the
little-endian float32 values that gguf-py's `gguf.quants.dequantize` (the Python port of
llama.cpp's `dequantize_row_*`, bit-exact with it) produces from them. The blocks are:
  * random bytes whose f16 scale fields are overwritten with random *finite* f16 values (NaN/inf
    scales would make the comparison meaningless), covering every exponent incl. subnormals;
  * edge blocks whose scales are the smallest subnormal, -0, and +-65504;
  * blocks copied from the real GGUF models (when present), so the test can also check that
    the Swift GGUF reader finds the same bytes at the same tensor offsets.
manifest.json records, per type, the block count and where each real block came from.

Usage: pip install gguf numpy; python3 scripts/make_dequant_goldens.py [models_dir]
"""
import json
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T, GGUFReader
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "dequant")
MODELS = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FLOE_MODELS_DIR", os.path.join(ROOT, "models"))

# Byte offsets of the f16 scale fields inside each block (ggml-common.h block_* structs).
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
REAL_FILES = ["SmolLM2-135M-Instruct.Q4_1.gguf", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"]
RANDOM_BLOCKS = 6
EDGE_SCALES = [0x0001, 0x8000, 0x7BFF, 0xFBFF]

rng = np.random.default_rng(20240611)


def finite_half_bits(n):
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32)
    exponent_all_ones = (bits & 0x7C00) == 0x7C00
    bits[exponent_all_ones] ^= 0x0400  # exponent 31 -> 30: finite
    return bits.astype(np.uint16)


def set_half(blocks, offset, bits):
    blocks[:, offset:offset + 2] = bits.astype("<u2").view(np.uint8).reshape(-1, 2)


def synthetic_blocks(qtype):
    _, type_size = GGML_QUANT_SIZES[qtype]
    count = RANDOM_BLOCKS + len(EDGE_SCALES)
    blocks = rng.integers(0, 256, size=(count, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        scales = np.concatenate([finite_half_bits(RANDOM_BLOCKS), np.array(EDGE_SCALES, dtype=np.uint16)])
        set_half(blocks, offset, scales)
    return blocks


def real_blocks():
    """{qtype: [(file, tensor, first_block, raw_blocks)]} from the model files that exist."""
    found = {}
    for name in REAL_FILES:
        path = os.path.join(MODELS, name)
        if not os.path.exists(path):
            print(f"note: {path} absent; no real blocks from it")
            continue
        seen = set()
        for tensor in GGUFReader(path).tensors:
            qtype = tensor.tensor_type
            if qtype not in HALF_FIELDS or qtype in seen:
                continue
            seen.add(qtype)
            _, type_size = GGML_QUANT_SIZES[qtype]
            raw = np.asarray(tensor.data).view(np.uint8).reshape(-1, type_size)
            for first in (0, raw.shape[0] // 2 + 7):
                found.setdefault(qtype, []).append((name, tensor.name, first, raw[first:first + 2].copy()))
    return found


def write(name, blocks, values):
    blocks.astype(np.uint8).tofile(os.path.join(OUT, name + ".blocks"))
    values.astype("<f4").tofile(os.path.join(OUT, name + ".f32"))


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    real = real_blocks()
    for qtype in HALF_FIELDS:
        blocks = synthetic_blocks(qtype)
        sources = []
        for file, tensor, first, raw in real.get(qtype, []):
            sources.append({"file": file, "tensor": tensor, "tensorBlock": int(first),
                            "fixtureBlock": int(blocks.shape[0]), "blockCount": int(raw.shape[0])})
            blocks = np.concatenate([blocks, raw])
        values = dequantize(blocks, qtype).reshape(-1)
        name = qtype.name.lower().replace("_k", "_K")
        write(name, blocks, values)
        manifest[name] = {"blocks": int(blocks.shape[0]), "sources": sources}

    # Plain 16-bit floats: every exponent, subnormals and infinities (NaN payloads are not
    # compared bit-for-bit, so they are left out).
    f16 = finite_half_bits(1024)
    f16[:4] = [0x7C00, 0xFC00, 0x0001, 0x8000]
    write("f16", f16.view(np.uint8), dequantize(f16.view(np.uint8), T.F16).reshape(-1))
    bf16 = rng.integers(0, 1 << 16, size=1024, dtype=np.uint32).astype(np.uint16)
    nan = ((bf16 & 0x7F80) == 0x7F80) & ((bf16 & 0x007F) != 0)
    bf16[nan] ^= 0x0080
    bf16[:4] = [0x7F80, 0xFF80, 0x0001, 0x8000]
    write("bf16", bf16.view(np.uint8), dequantize(bf16.view(np.uint8), T.BF16).reshape(-1))
    manifest["f16"] = {"blocks": 1024, "sources": []}
    manifest["bf16"] = {"blocks": 1024, "sources": []}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(manifest)} formats, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
