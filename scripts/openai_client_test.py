"""Drives a running `floe serve` with the official `openai` Python client.

Usage: openai_client_test.py BASE_URL API_KEY MODEL
The server must run with --api-key API_KEY --max-num-seqs 1 --max-waiting-requests 0 (the 429
case fills the only slot with one stream and expects the next request to be refused).
"""

import sys

import httpx
import openai


def main() -> int:
    base_url, api_key, model = sys.argv[1:4]
    # max_retries=0: the client would otherwise retry the 429 (honouring Retry-After) and hide it.
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)
    messages = [{"role": "user", "content": "Say hello in one word."}]

    models = client.models.list()
    assert [m.id for m in models.data] == [model], models

    chat = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0)
    content = chat.choices[0].message.content
    assert chat.choices[0].message.role == "assistant" and content, chat
    assert chat.usage.completion_tokens > 0 and chat.usage.prompt_tokens > 0, chat.usage

    scored = client.chat.completions.create(
        model=model, messages=messages, max_tokens=4, temperature=0, logprobs=True, top_logprobs=2)
    entries = scored.choices[0].logprobs.content
    assert len(entries) == scored.usage.completion_tokens and all(len(e.top_logprobs) == 2 for e in entries), scored

    pieces, usage = [], None
    stream = client.chat.completions.create(
        model=model, messages=messages, max_tokens=8, temperature=0, stream=True,
        stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
    assert "".join(pieces) == content, (pieces, content)
    assert usage is not None and usage.completion_tokens == chat.usage.completion_tokens, usage

    completion = client.completions.create(
        model=model, prompt="The capital of France is", max_tokens=5, temperature=0, seed=1, stop=["\n\n"])
    assert completion.choices[0].text and completion.usage.completion_tokens <= 5, completion
    streamed = "".join(
        c.choices[0].text for c in client.completions.create(
            model=model, prompt="The capital of France is", max_tokens=5, temperature=0, stream=True) if c.choices)
    assert streamed.startswith(completion.choices[0].text.split("\n\n")[0]), (streamed, completion)

    # Several prompts in one request: choices are prompt-major; echo repeats each prompt.
    batch = client.completions.create(
        model=model, prompt=["The capital of France is", "Once upon a time"], max_tokens=3, temperature=0, echo=True)
    assert [c.index for c in batch.choices] == [0, 1], batch
    assert batch.choices[0].text.startswith("The capital of France is"), batch
    assert batch.choices[1].text.startswith("Once upon a time"), batch

    # vLLM's /tokenize sits beside /v1 (the openai package has no call for it).
    root = base_url.removesuffix("/v1")
    tokens = httpx.post(f"{root}/tokenize", json={"model": model, "prompt": "Hello world"}, timeout=30).json()
    assert tokens["count"] == len(tokens["tokens"]) > 0, tokens
    text = httpx.post(f"{root}/detokenize", json={"model": model, "tokens": tokens["tokens"]}, timeout=30).json()
    assert text["prompt"].endswith("Hello world"), text

    expect_error(openai.BadRequestError, 400, lambda: client.chat.completions.create(
        model=model, messages=messages, temperature=-1))
    expect_error(openai.NotFoundError, 404, lambda: client.chat.completions.create(
        model="no-such-model", messages=messages))
    bad_key = openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0)
    expect_error(openai.AuthenticationError, 401, lambda: bad_key.models.list())

    # Hold the only slot with a long stream, then expect 429.
    holder = client.completions.create(
        model=model, prompt="Once upon a time", max_tokens=400, stream=True, extra_body={"ignore_eos": True})
    next(iter(holder))
    expect_error(openai.RateLimitError, 429, lambda: client.completions.create(model=model, prompt="Hi", max_tokens=2))
    holder.close()  # disconnects: the server aborts the request

    print("openai client test: OK")
    return 0


def expect_error(kind, status, call):
    try:
        call()
    except kind as error:
        assert error.status_code == status, error
        body = error.body if isinstance(error.body, dict) else {}
        assert "message" in body, error.body
        return
    raise AssertionError(f"expected {kind.__name__}")


if __name__ == "__main__":
    sys.exit(main())
