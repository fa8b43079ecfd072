"""Copies a sentence-transformers model folder with its float32 safetensors weights stored as
float16, halving what has to travel to the GPU machine (all-MiniLM-L6-v2: 90 MB -> 45 MB).
Floe's CUDA backend converts weights to bf16/f16 at load anyway, and sentence-transformers on
the GPU runs fp16, so both sides see the same rounded weights. Needs only numpy.

    python3 scripts/convert_safetensors_f16.py SOURCE_DIR DEST_DIR
"""
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

source, dest = Path(sys.argv[1]), Path(sys.argv[2])
if not (source / "model.safetensors").is_file():
    sys.exit(f"{source} has no model.safetensors")
dest.mkdir(parents=True, exist_ok=True)
for item in source.iterdir():
    if item.name in ("model.safetensors", ".gitattributes", "README.md", "data_config.json") or item.name.startswith("."):
        continue
    if item.is_dir():
        shutil.copytree(item, dest / item.name, dirs_exist_ok=True)
    else:
        shutil.copy2(item, dest / item.name)

raw = (source / "model.safetensors").read_bytes()
header_length = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + header_length])
data = memoryview(raw)[8 + header_length:]
tensors, metadata = {}, header.pop("__metadata__", None)
for name, info in header.items():
    start, end = info["data_offsets"]
    if info["dtype"] == "F32":
        tensors[name] = ("F16", np.frombuffer(data[start:end], dtype="<f4").astype("<f2").tobytes(), info["shape"])
    else:
        tensors[name] = (info["dtype"], bytes(data[start:end]), info["shape"])

out_header, offset = {}, 0
if metadata is not None:
    out_header["__metadata__"] = metadata
for name, (dtype, payload, shape) in tensors.items():
    out_header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(payload)]}
    offset += len(payload)
encoded = json.dumps(out_header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
with open(dest / "model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(encoded)))
    f.write(encoded)
    for _, payload, _ in tensors.values():
        f.write(payload)
print(f"{dest / 'model.safetensors'}: {len(tensors)} tensors, {offset / 1e6:.1f} MB of data")
