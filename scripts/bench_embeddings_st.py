"""sentence-transformers (PyTorch CPU) embedding throughput, the peer of `floe bench-embed`:
the same prompts ("hello " repeated to exactly TOKENS tokens with [CLS]/[SEP]), tokenization
included, torch.set_num_threads(THREADS), best of REPEATS after one warm-up.

    python bench_embeddings_st.py MODEL_DIR TOKENS COUNT BATCH_SIZE THREADS REPEATS
"""
import sys
import time

import torch
from sentence_transformers import SentenceTransformer

folder, tokens, count, batch, threads, repeats = sys.argv[1], *map(int, sys.argv[2:7])
torch.set_num_threads(threads)
model = SentenceTransformer(folder, device="cpu")
text = " ".join(["hello"] * max(tokens - 2, 1))
measured = len(model.tokenizer(text)["input_ids"])
texts = [text] * count
model.encode(texts[: batch * 2], batch_size=batch)  # warm-up
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    with torch.inference_mode():
        model.encode(texts, batch_size=batch, convert_to_numpy=True)
    best = min(best, time.perf_counter() - start)
print(f"sentence-transformers {torch.__version__}: {measured}-token inputs x {count} (batch {batch}), {threads} threads: "
      f"{measured * count / best:.0f} tokens/s ({count / best:.1f} inputs/s, best of {repeats}: {best:.3f} s)")
