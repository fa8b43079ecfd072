/// The normalizer / pre-tokenizer / model / decoder a GGUF tokenizer stands for. GGUF records
/// only the vocabulary and a `pre` name; the pipeline each name means is spelled out here so it
/// matches the model's `tokenizer.json` (including what some converters drop: SmolLM2's digit
/// splitting and Qwen2's NFC).
struct GGUFPipeline {
    var normalizer: (any Normalizer)?
    var preTokenizer: (any PreTokenizer)?
    var model: any TokenizerModel
    var decoder: any TokenDecoder
    /// llama.cpp's `add_bos` default when the file does not say.
    var addsBOSByDefault: Bool

    static func byteLevel(_ vocabulary: GGUFVocabulary) throws(TokenizerError) -> GGUFPipeline {
        guard let lines = vocabulary.merges else { throw .missingField("tokenizer.ggml.merges") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            guard let pair = ModelFactory.splitMergeLine(line) else {
                throw .invalidField("tokenizer.ggml.merges[\(index)]", reason: "expected \"left right\"")
            }
            merges.append(pair)
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(vocabulary.tokens.count)
        for (id, token) in vocabulary.tokens.enumerated() where vocab[token] == nil {
            vocab[token] = id
        }
        var options = BPEModel.Options()
        // Llama 3's tokenizer.json sets ignore_merges (a piece that is itself a token is taken
        // whole, as tiktoken does); the GGUF cannot say so.
        options.ignoreMerges = vocabulary.pre.map(Self.llama3Names.contains) ?? false
        let model = try BPEModel(vocab: vocab, merges: merges, options: options)

        let byteLevel = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false)
        let byteLevelWithRegex = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
        var normalizer: (any Normalizer)?
        let preTokenizer: any PreTokenizer
        switch vocabulary.pre ?? "default" {
        case "default", "gpt-2", "gpt2", "":
            preTokenizer = byteLevelWithRegex
        case "smollm", "starcoder", "refact", "codeshell", "exaone", "minerva":
            preTokenizer = SequencePreTokenizer([DigitsPreTokenizer(individualDigits: true), byteLevelWithRegex])
        case "mpt", "gpt-neox", "olmo":
            // EleutherAI's GPT-NeoX tokenizer: NFC, then GPT-2's ByteLevel.
            normalizer = UnicodeNormalizer(.nfc)
            preTokenizer = byteLevelWithRegex
        case "falcon":
            preTokenizer = SequencePreTokenizer([
                PunctuationPreTokenizer(behavior: .contiguous), byteLevelWithRegex,
                DigitsPreTokenizer(individualDigits: false),
                SplitPreTokenizer(pattern: try SplitPattern.fromRegex("[0-9][0-9][0-9]"), behavior: .isolated),
            ])
        case "deepseek-coder":
            var parts: [any PreTokenizer] = []
            for regex in [#"[\r\n]"#, #"\s?\p{L}+"#, #"\s?\p{P}+"#, "[一-龥ࠀ-一가-퟿]+", #"\p{N}"#] {
                parts.append(SplitPreTokenizer(pattern: try SplitPattern.fromRegex(regex), behavior: .isolated))
            }
            preTokenizer = SequencePreTokenizer(parts + [byteLevel])
        case "qwen2", "deepseek-r1-qwen":
            normalizer = UnicodeNormalizer(.nfc)
            preTokenizer = SequencePreTokenizer([SplitPreTokenizer(pattern: .qwen2, behavior: .isolated), byteLevel])
        case let name where llama3Names.contains(name):
            preTokenizer = SequencePreTokenizer([SplitPreTokenizer(pattern: .llama3, behavior: .isolated), byteLevel])
        case let other:
            throw .unsupported("tokenizer.ggml.pre=\(other)")
        }
        return GGUFPipeline(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, decoder: ByteLevelDecoder(),
            addsBOSByDefault: false)
    }

    static let llama3Names: Set<String> = ["llama-bpe", "llama3", "llama-v3"]

    static func sentencePiece(_ vocabulary: GGUFVocabulary) throws(TokenizerError) -> GGUFPipeline {
        guard let scores = vocabulary.scores else { throw .missingField("tokenizer.ggml.scores") }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(vocabulary.tokens.count)
        for (id, token) in vocabulary.tokens.enumerated() where vocab[token] == nil {
            vocab[token] = id
        }
        // Control, unknown, byte and unused pieces are never the result of a merge.
        let rules = SentencePieceMerges.rules(tokens: vocabulary.tokens, scores: scores) { id in
            let type = vocabulary.type(of: id)
            return type == .normal || type == .userDefined
        }
        var options = BPEModel.Options()
        options.byteFallback = true
        options.fuseUnknown = true
        let unknownID = vocabulary.unknownTokenID
            ?? vocabulary.tokens.indices.first { vocabulary.type(of: $0) == .unknown }
        options.unknownToken = unknownID.map { vocabulary.tokens[$0] }
        let model = try BPEModel(vocab: vocab, rules: rules, options: options)

        let addsSpace = vocabulary.addSpacePrefix ?? true
        let replace = ReplaceNormalizer(pattern: " ", content: "▁")
        let normalizer: any Normalizer =
            addsSpace ? SequenceNormalizer([PrependNormalizer("▁"), replace]) : replace
        var decoders: [any TokenDecoder] = [
            ReplaceDecoder(pattern: "▁", content: " "), ByteFallbackDecoder(), FuseDecoder(),
        ]
        if addsSpace { decoders.append(StripDecoder(content: " ", start: 1, stop: 0)) }
        return GGUFPipeline(
            normalizer: normalizer, preTokenizer: nil, model: model, decoder: SequenceDecoder(decoders),
            addsBOSByDefault: true)
    }
}
