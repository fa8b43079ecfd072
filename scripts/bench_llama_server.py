#!/usr/bin/env python3
"""Drives a running llama.cpp `llama-server` with the same requests `floe bench-offline` runs:
every prompt (token ids from --prompts) submitted at once, each generating exactly
--output-len tokens (EOS ignored, greedy, no prompt cache), and prints output tokens/s.

Standard library only, so it runs anywhere Python does."""
import argparse
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def complete(url, prompt, output_len):
    body = json.dumps({"prompt": prompt, "n_predict": output_len, "ignore_eos": True, "temperature": 0,
                       "cache_prompt": False}).encode()
    request = urllib.request.Request(url + "/completion", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=3600) as response:
        return json.load(response)["tokens_predicted"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8089")
    parser.add_argument("--prompts", required=True)
    parser.add_argument("--output-len", type=int, default=128)
    parser.add_argument("--json")
    args = parser.parse_args()
    prompts = json.load(open(args.prompts))
    complete(args.url, prompts[0], 4)  # warm-up
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
        tokens = sum(pool.map(lambda p: complete(args.url, p, args.output_len), prompts))
    seconds = time.perf_counter() - start
    result = {"prompts": len(prompts), "output_tokens": tokens, "seconds": seconds,
              "output_tokens_per_second": tokens / seconds}
    print(f"llama-server: {len(prompts)} prompts, {tokens} output tokens in {seconds:.1f} s: "
          f"{tokens / seconds:.1f} output tok/s")
    if args.json:
        json.dump(result, open(args.json, "w"), indent=2)


if __name__ == "__main__":
    main()
