/// FloeTokenizers owns text <-> token-id conversion: tokenizers composed from a Hugging Face
/// `tokenizer.json` (normalizer -> pre-tokenizer -> model -> post-processor, and a decoder
/// chain back), tokenizers built from GGUF vocabulary metadata (`GGUFVocabulary`, a plain
/// struct so this target never depends on the GGUF reader), streaming detokenization, and chat
/// templates. It must not import tensors or any other Floe module.
///
/// The parts mirror Hugging Face `tokenizers` one type per component so that the ids match the
/// reference implementation exactly and new component types slot in without touching the rest.
