"""sentence-transformers on a GPU, the peer of `floe bench-embed --grpc` in scripts/gpu-embed-bench.sh:
the same prompts ("hello " repeated to TOKENS tokens with [CLS]/[SEP], cut at the model's
max_seq_length as both sides do), tokenization included, `model.encode(batch_size=BATCH)` in
DTYPE (float16 by default), best of REPEATS after one warm-up. Prints one line and, with --json,
writes {"tokens_per_input", "inputs", "tokens_per_second", ...}.

    python bench_embeddings_st_gpu.py MODEL_DIR TOKENS COUNT BATCH REPEATS [--dtype float16] [--json FILE]
"""
import argparse
import json
import time

import torch
from sentence_transformers import SentenceTransformer

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("tokens", type=int)
parser.add_argument("count", type=int)
parser.add_argument("batch", type=int)
parser.add_argument("repeats", type=int)
parser.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
parser.add_argument("--device", default="cuda")
parser.add_argument("--json")
args = parser.parse_args()

dtype = getattr(torch, args.dtype)
model = SentenceTransformer(args.model, device=args.device, model_kwargs={"torch_dtype": dtype})
text = " ".join(["hello"] * max(args.tokens - 2, 1))
measured = len(model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"])
texts = [text] * args.count


def synchronize():
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()


model.encode(texts[: args.batch * 2], batch_size=args.batch)  # warm-up: kernels, allocator
synchronize()
best = float("inf")
for _ in range(args.repeats):
    start = time.perf_counter()
    with torch.inference_mode():
        model.encode(texts, batch_size=args.batch, convert_to_numpy=True)
    synchronize()
    best = min(best, time.perf_counter() - start)
rate = measured * args.count / best
attention = getattr(model[0].auto_model.config, "_attn_implementation", "?")
print(f"sentence-transformers {torch.__version__} ({args.dtype}, attention {attention}, {args.device}): "
      f"{measured}-token inputs x {args.count} (batch {args.batch}): {rate:.0f} tokens/s "
      f"({args.count / best:.1f} inputs/s, best of {args.repeats}: {best:.3f} s)")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"peer": "sentence-transformers", "torch": torch.__version__, "dtype": args.dtype, "attention": attention,
                   "device": args.device, "tokens_per_input": measured, "inputs": args.count, "batch_size": args.batch,
                   "seconds": best, "tokens_per_second": rate}, f, indent=2)
