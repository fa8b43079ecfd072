#!/usr/bin/env python3
"""Golden outputs of Hugging Face `tokenizers` for FloeTokenizers' tests (never run at test time).

1. Builds three small tokenizers that exercise components the shipped models do not:
   unigram-metaspace (trained Unigram, NFKC + regex Replace, Metaspace prepend_scheme=first),
   unigram-bytefallback (same pieces + <0xNN> bytes, Strip/NFKD/StripAccents/Lowercase,
   WhitespaceSplit + Metaspace always), wordpiece-misc (trained WordPiece, Whitespace +
   Punctuation, BertProcessing, truncation 12, padding Fixed 16).
   Training text: all-MiniLM-L6-v2's README.md (a fixed file); the trained files are fixtures.
2. For every fixture tokenizer writes Tests/Fixtures/tokenizers/goldens/<name>.json: ids,
   tokens and character offsets for the vector texts, with and without special tokens, and,
   where the file configures them, with truncation and padding.

Usage: python3 -m venv .venv-bench && .venv-bench/bin/pip install tokenizers==0.23.3
       .venv-bench/bin/python scripts/make_tokenizer_goldens.py
"""
import json
import os
import sys

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
TRAINING_TEXT = "/work/shared/models/all-MiniLM-L6-v2/README.md"

EXISTING = {
    "gpt2": "tokenizers/gpt2/tokenizer.json",
    "llama3": "tokenizers/llama3/tokenizer.json",
    "llama2-spm": "tokenizers/llama2/tokenizer.json",
    "qwen2.5": "Qwen2.5-Coder-0.5B-Instruct/hf-config/tokenizer.json",
    "smollm2": "SmolLM2-135M-Instruct/hf-config/tokenizer.json",
    "stories260K-tok512": "stories260K/hf/tokenizer.json",
    "bert-uncased-wordpiece": "all-MiniLM-L6-v2/tokenizer.json",
}
NEW = {
    "unigram-metaspace": "tokenizers/unigram-metaspace/tokenizer.json",
    "unigram-bytefallback": "tokenizers/unigram-bytefallback/tokenizer.json",
    "wordpiece-misc": "tokenizers/wordpiece-misc/tokenizer.json",
}

# A few strings per tokenizer for offsets; the new tokenizers also get every vector text.
OFFSET_TEXTS = [
    "Hello world", " Hello, world!", "  leading and trailing spaces   ", "Führer naïve café",
    "Ünïcödé — “quotes” 日本語 한국어", "emoji: 👍🏽 🦙.cpp", "I'm, you're, DON'T", "tabs\tand\nnewlines\r\n",
    "3.14159 and 12345", "<s>Hello</s> <|im_start|>user\nhi<|im_end|> [CLS] x [SEP]", "e\u0301t\u00e9 \ufb01 \u2460",
    "\u00a0nbsp\u2009thin\u200bzw", "",
]


def training_lines():
    with open(TRAINING_TEXT, encoding="utf-8") as f:
        return [line for line in f.read().splitlines() if line.strip()]


def build_new():
    lines = training_lines()
    os.makedirs(os.path.join(ROOT, "tokenizers", "unigram-metaspace"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "tokenizers", "unigram-bytefallback"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "tokenizers", "wordpiece-misc"), exist_ok=True)

    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    uni.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    uni.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.UnigramTrainer(
        vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>", shrinking_factor=0.75)
    uni.train_from_iterator(lines, trainer=trainer)
    uni.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    uni.save(os.path.join(ROOT, NEW["unigram-metaspace"]))

    vocab = json.loads(uni.to_str())["model"]["vocab"]
    low = min(score for _, score in vocab)
    vocab = [tuple(v) for v in vocab] + [(f"<0x{b:02X}>", low - 1.0) for b in range(256)]
    ubf = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=True))
    ubf.normalizer = normalizers.Sequence(
        [normalizers.Strip(), normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()])
    ubf.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(prepend_scheme="always")])
    ubf.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="always")])
    ubf.save(os.path.join(ROOT, NEW["unigram-bytefallback"]))

    wp = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=20))
    wp.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    wp.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation(behavior="contiguous"), pre_tokenizers.Digits()])
    wp.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    wp.train_from_iterator(lines, trainer=trainers.WordPieceTrainer(
        vocab_size=500, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]))
    wp.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    wp.enable_truncation(max_length=12)
    wp.enable_padding(length=16, pad_id=0, pad_token="[PAD]")
    wp.save(os.path.join(ROOT, NEW["wordpiece-misc"]))


def record(tok, text, add_special):
    e = tok.encode(text, add_special_tokens=add_special)
    return {
        "text": text, "add_special_tokens": add_special, "ids": e.ids, "tokens": e.tokens,
        "offsets": [list(o) for o in e.offsets], "attention_mask": e.attention_mask,
        "special_tokens_mask": e.special_tokens_mask,
    }


def main():
    build_new()
    vector_texts = [c["text"] for c in json.load(open(os.path.join(ROOT, "tokenizers/vectors/llama3.json")))["cases"]]
    out_dir = os.path.join(ROOT, "tokenizers", "goldens")
    os.makedirs(out_dir, exist_ok=True)
    for name, path in {**EXISTING, **NEW}.items():
        tok = Tokenizer.from_file(os.path.join(ROOT, path))
        configured = tok.truncation is not None or tok.padding is not None
        truncated = []
        if configured:
            truncated = [record(tok, t, True) for t in OFFSET_TEXTS + vector_texts[-14:]]
            tok.no_truncation()
            tok.no_padding()
        texts = OFFSET_TEXTS + (vector_texts if name in NEW else [])
        cases = [record(tok, t, s) for t in texts for s in (False, True)]
        golden = {
            "tokenizer_json": path, "oracle": "HF tokenizers %s (Python, char offsets)" % __import__("tokenizers").__version__,
            "cases": cases, "truncated_and_padded": truncated,
        }
        with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=False, indent=0)
        print(name, len(cases), "cases", len(truncated), "configured")


if __name__ == "__main__":
    sys.exit(main())
