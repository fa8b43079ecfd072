"""Writes a random-weight BERT encoder as a sentence-transformers folder, for GPU benchmarks and
checks where no real checkpoint can travel: config.json (BertModel), model.safetensors (float16),
modules.json (Transformer -> CLS Pooling -> Normalize, as snowflake-arctic-embed-m), 1_Pooling,
sentence_bert_config.json and the tokenizer from TOKENIZER_JSON (all-MiniLM-L6-v2's has the
same 30,522-token uncased BERT vocabulary) without its fixed padding/truncation.

With --reference FILE it also writes sentence-transformers' own fp32 embeddings of that folder for
a set of sentences (short, long, and one over max_seq_length) in the shape of
scripts/make_embedding_goldens.py's files, for `floe cuda-check --embedding-model DIR=FILE`.

    python3 scripts/make_random_bert.py OUT_DIR --tokenizer TOKENIZER_JSON [--shape bert-base|tiny] [--reference FILE]
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from transformers import BertConfig, BertModel

SHAPES = {
    # snowflake-arctic-embed-m (BERT-base): 12 layers, 768 hidden, 12 heads, 3072 FFN.
    "bert-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    # A fast stand-in for testing this script (head size 32, as MiniLM).
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128),
}

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--tokenizer", required=True, help="a BERT uncased tokenizer.json (all-MiniLM-L6-v2's)")
parser.add_argument("--shape", choices=SHAPES, default="bert-base")
parser.add_argument("--max-seq-length", type=int, default=512)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--reference", help="also write sentence-transformers' fp32 embeddings here")
args = parser.parse_args()

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(args.seed)
config = BertConfig(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, hidden_act="gelu",
                    layer_norm_eps=1e-12, architectures=["BertModel"], **SHAPES[args.shape])
model = BertModel(config, add_pooling_layer=False).eval()
# Hugging Face's init (normal, std 0.02) makes every text's embedding nearly alike (cosine
# 0.99 between unrelated sentences); a wider spread keeps them apart, so the cosine checks can
# tell a wrong kernel from rounding.
with torch.no_grad():
    for name, parameter in model.named_parameters():
        if "embeddings" in name and parameter.dim() > 1:
            parameter.normal_(0, 1.0)
        elif "LayerNorm.weight" in name:
            parameter.normal_(1.0, 0.2)
        elif parameter.dim() > 1:
            parameter.normal_(0, 1.5 / parameter.shape[1] ** 0.5)
        else:
            parameter.normal_(0, 0.1)
model.half().save_pretrained(out, safe_serialization=True)

tokenizer = json.loads(Path(args.tokenizer).read_text())
tokenizer["truncation"] = None
tokenizer["padding"] = None
(out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
(out / "tokenizer_config.json").write_text(json.dumps({
    "tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512, "unk_token": "[UNK]",
    "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}))
(out / "modules.json").write_text(json.dumps([
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], indent=2))
(out / "1_Pooling").mkdir(exist_ok=True)
(out / "1_Pooling" / "config.json").write_text(json.dumps({
    "word_embedding_dimension": config.hidden_size, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False,
    "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, indent=2))
(out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": args.max_seq_length, "do_lower_case": False}))
shutil.rmtree(out / "2_Normalize", ignore_errors=True)
print(f"{out}: {args.shape} BERT, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters (float16)")

if args.reference:
    from sentence_transformers import SentenceTransformer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    st = SentenceTransformer(str(out), device=device, model_kwargs={"torch_dtype": torch.float32})
    texts = [
        "A man is eating food.",
        "hello",
        "The quick brown fox jumps over the lazy dog while the cat watches from the window sill.",
        "Embeddings map text to vectors; similar meanings land close together. " * 12,
        " ".join(f"word{i}" for i in range(700)),  # over max_seq_length: truncated
        "Ünïcödé text, numbers 12345 and punctuation!?",
    ]
    embeddings = st.encode(texts, batch_size=len(texts), convert_to_numpy=True)
    cases = []
    for text, embedding in zip(texts, embeddings):
        ids = st.tokenizer(text, truncation=True, max_length=st.max_seq_length)["input_ids"]
        cases.append({"text": text, "input_ids": ids, "embedding": [round(float(v), 7) for v in embedding]})
    Path(args.reference).write_text(json.dumps({
        "model": f"random {args.shape} BERT (seed {args.seed})", "made_by": "scripts/make_random_bert.py",
        "max_seq_length": st.max_seq_length, "device": device, "cases": cases}))
    print(f"{args.reference}: {len(cases)} sentence-transformers fp32 embeddings ({device})")
