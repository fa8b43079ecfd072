#!/usr/bin/env python3
"""Hugging Face `tokenizers` encode throughput on the corpus `floe bench-tokenizer` wrote.

Thread count comes from RAYON_NUM_THREADS (set it before running; rayon reads it once).
  hf_tokenizer_bench.py measure --corpus FILE --json OUT [name=path ...]
  hf_tokenizer_bench.py table --floe floe.json --hf hf1.json hf2.json   (prints the markdown table)
"""
import argparse
import json
import os
import sys
import time

SEPARATOR = "\x1e"
DEFAULTS = [
    ("Llama-3", "Tests/Fixtures/tokenizers/llama3/tokenizer.json"),
    ("Qwen2.5", "Tests/Fixtures/Qwen2.5-Coder-0.5B-Instruct/hf-config/tokenizer.json"),
    ("GPT-2", "Tests/Fixtures/tokenizers/gpt2/tokenizer.json"),
    ("Llama-2", "Tests/Fixtures/tokenizers/llama2/tokenizer.json"),
    ("BERT", "Tests/Fixtures/all-MiniLM-L6-v2/tokenizer.json"),
]


def measure(args):
    from tokenizers import Tokenizer
    with open(args.corpus, encoding="utf-8") as f:
        documents = f.read().split(SEPARATOR)
    size = sum(len(d.encode("utf-8")) for d in documents)
    threads = int(os.environ.get("RAYON_NUM_THREADS", "0") or 0)
    named = [tuple(s.split("=", 1)) for s in args.tokenizers] or DEFAULTS
    results = []
    for name, path in named:
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        best = float("inf")
        tokens = 0
        for rep in range(args.repetitions + 1):
            start = time.perf_counter()
            encodings = tok.encode_batch(documents, add_special_tokens=False)
            elapsed = time.perf_counter() - start
            tokens = sum(len(e.ids) for e in encodings)
            if rep > 0:
                best = min(best, elapsed)
        results.append({"name": name, "threads": threads, "megabytesPerSecond": size / 1e6 / best,
                        "tokensPerSecond": tokens / best, "tokens": tokens})
        print(f"HF {name:10s} threads={threads} {size / 1e6 / best:8.2f} MB/s {tokens / best:12.0f} tok/s {tokens} tokens")
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)


def table(args):
    floe = {(r["name"], r["threads"]): r for r in json.load(open(args.floe))}
    hf = {}
    for path in args.hf:
        for r in json.load(open(path)):
            hf[(r["name"], r["threads"])] = r
    print("| tokenizer | threads | Floe MB/s | HF MB/s | Floe / HF | Floe tokens/s | HF tokens/s | same token count |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(floe, key=lambda k: ([n for n, _ in DEFAULTS].index(k[0]) if k[0] in [n for n, _ in DEFAULTS] else 99, k[1])):
        f = floe[key]
        h = hf.get(key)
        if h is None:
            continue
        print(f"| {key[0]} | {key[1]} | {f['megabytesPerSecond']:.2f} | {h['megabytesPerSecond']:.2f} | "
              f"{f['megabytesPerSecond'] / h['megabytesPerSecond']:.2f}x | {f['tokensPerSecond']:.0f} | "
              f"{h['tokensPerSecond']:.0f} | {'yes' if f['tokens'] == h['tokens'] else 'NO (%d vs %d)' % (f['tokens'], h['tokens'])} |")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--corpus", required=True)
    m.add_argument("--json", required=True)
    m.add_argument("--repetitions", type=int, default=3)
    m.add_argument("tokenizers", nargs="*")
    t = sub.add_parser("table")
    t.add_argument("--floe", required=True)
    t.add_argument("--hf", nargs="+", required=True)
    args = parser.parse_args()
    return measure(args) if args.command == "measure" else table(args)


if __name__ == "__main__":
    sys.exit(main())
