"""Load test of a running `floe serve` (started by scripts/test-load.sh).

Usage: load_test.py BASE_URL SERVER_PID

Three rounds of 64 concurrent streaming clients; every third client disconnects after its
second chunk. Checks, per round: every remaining client gets exactly the greedy text a lone
client gets for its prompt, with right usage; afterwards no request runs and no KV block is
held (from /metrics); the metrics counters grew by exactly what the clients did. Across rounds
the server's RSS must not grow beyond a bounded slack. Then a non-streaming client that hangs
up must be aborted (its KV blocks freed), and SIGTERM must let an in-flight stream finish before
the server exits 0.
"""

import asyncio
import os
import re
import signal
import sys
import time

import httpx

CLIENTS = 64
ROUNDS = 3
MAX_TOKENS = 12
RSS_SLACK_MB = 48
PROMPTS = [
    "Once upon a time", "The capital of France is", "My favourite food is", "In the morning I like to",
    "The best way to learn is", "Cats and dogs are", "The weather today is", "A good book should",
]


def metrics(base):
    text = httpx.get(f"{base}/metrics", timeout=30).text
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


def metric(values, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for key, value in values.items():
        match = re.fullmatch(r"([^{]+)(?:\{(.*)\})?", key)
        if match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += value
    return total


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_idle(base, timeout=30):
    deadline = time.time() + timeout
    while True:
        values = metrics(base)
        running = metric(values, "floe:num_requests_running") + metric(values, "floe:num_requests_waiting")
        usage = metric(values, "floe:kv_cache_usage_perc")
        if running == 0 and usage == 0:
            return values
        if time.time() > deadline:
            raise AssertionError(f"server not idle after {timeout}s: running+waiting={running}, kv usage={usage}")
        time.sleep(0.1)


async def stream_one(client, base, prompt, disconnect):
    body = {"model": "smollm2", "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    text, usage, chunks, done = "", None, 0, False
    async with client.stream("POST", f"{base}/v1/completions", json=body) as response:
        assert response.status_code == 200, response.status_code
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            payload = line[6:]
            if payload == "[DONE]":
                done = True
                continue
            import json
            chunk = json.loads(payload)
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk["choices"]:
                text += choice["text"]
                chunks += 1
            if disconnect and chunks >= 2:
                return {"disconnected": True}  # leaving the block closes the connection
    return {"disconnected": False, "text": text, "usage": usage, "done": done}


async def round_of_clients(base, references):
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        tasks = [stream_one(client, base, PROMPTS[i % len(PROMPTS)], disconnect=(i % 3 == 2)) for i in range(CLIENTS)]
        results = await asyncio.gather(*tasks)
    completed = 0
    completion_tokens = 0
    for i, result in enumerate(results):
        if result["disconnected"]:
            continue
        prompt = PROMPTS[i % len(PROMPTS)]
        assert result["done"], f"client {i}: stream did not end with [DONE]"
        expected_text, expected_usage = references[prompt]
        assert result["text"] == expected_text, f"client {i}: {result['text']!r} != lone client's {expected_text!r}"
        assert result["usage"] == expected_usage, f"client {i}: usage {result['usage']} != {expected_usage}"
        completed += 1
        completion_tokens += result["usage"]["completion_tokens"]
    return completed, completion_tokens


def main():
    base, pid = sys.argv[1], int(sys.argv[2])
    # What a lone client gets (greedy), one prompt at a time.
    references = {}
    for prompt in PROMPTS:
        reply = httpx.post(f"{base}/v1/completions", timeout=120, json={
            "model": "smollm2", "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0}).json()
        usage = reply["usage"]
        references[prompt] = (reply["choices"][0]["text"], usage)
    prompt_tokens = {prompt: usage["prompt_tokens"] for prompt, (_, usage) in references.items()}

    rss = []
    for round_index in range(ROUNDS):
        before = wait_idle(base)
        completed, completion_tokens = asyncio.run(round_of_clients(base, references))
        after = wait_idle(base)
        finished = sum(metric(after, "floe:request_success_total", finished_reason=r)
                       - metric(before, "floe:request_success_total", finished_reason=r) for r in ("stop", "length", "abort"))
        assert finished == CLIENTS, f"round {round_index}: {finished} requests finished in metrics, {CLIENTS} sent"
        aborted = metric(after, "floe:request_success_total", finished_reason="abort") - metric(
            before, "floe:request_success_total", finished_reason="abort")
        disconnecting = CLIENTS // 3
        assert aborted <= disconnecting and completed == CLIENTS - disconnecting, (aborted, completed)
        prompts = sum(prompt_tokens[PROMPTS[i % len(PROMPTS)]] for i in range(CLIENTS))
        counted = metric(after, "floe:prompt_tokens_total") - metric(before, "floe:prompt_tokens_total")
        assert counted == prompts, f"round {round_index}: prompt_tokens_total grew {counted}, clients sent {prompts}"
        generated = metric(after, "floe:generation_tokens_total") - metric(before, "floe:generation_tokens_total")
        assert completion_tokens <= generated <= completion_tokens + disconnecting * MAX_TOKENS, (generated, completion_tokens)
        ttft = metric(after, "floe:time_to_first_token_seconds_count") - metric(before, "floe:time_to_first_token_seconds_count")
        assert ttft >= completed, (ttft, completed)
        rss.append(rss_mb(pid))
        print(f"round {round_index}: {completed} completed, {int(aborted)} aborted, RSS {rss[-1]:.0f} MB", flush=True)
    assert rss[-1] <= rss[0] + RSS_SLACK_MB, f"RSS grew across rounds: {rss}"

    # A non-streaming client that hangs up: its request must be aborted and its blocks freed.
    before = metrics(base)
    try:
        httpx.post(f"{base}/v1/completions", timeout=1.0, json={
            "model": "smollm2", "prompt": "Once upon a time", "max_tokens": 1500, "ignore_eos": True})
        raise AssertionError("a 1500-token completion finished within a second")
    except httpx.TimeoutException:
        pass  # the client closed its connection
    after = wait_idle(base, timeout=20)
    aborted = metric(after, "floe:request_success_total", finished_reason="abort") - metric(
        before, "floe:request_success_total", finished_reason="abort")
    assert aborted == 1, f"the hung-up non-streaming request was not aborted ({aborted})"

    # SIGTERM while a stream is in flight: the stream completes, then the server exits.
    async def drained():
        async with httpx.AsyncClient(timeout=120) as client:
            body = {"model": "smollm2", "prompt": "Once upon a time", "max_tokens": 48, "temperature": 0,
                    "stream": True, "ignore_eos": True}
            async with client.stream("POST", f"{base}/v1/completions", json=body) as response:
                lines = response.aiter_lines()
                async for line in lines:
                    if line.startswith("data: "):
                        os.kill(pid, signal.SIGTERM)
                        break
                rest = [line async for line in lines]
        return rest
    rest = asyncio.run(drained())
    assert "data: [DONE]" in rest, "the in-flight stream was cut by SIGTERM"
    print("load test: OK", flush=True)


if __name__ == "__main__":
    main()
