/// Text <-> ids, composed like Hugging Face `tokenizers`: added tokens are cut out of the text,
/// the rest is normalized, pre-tokenized into pieces, and each piece encoded by the model; the
/// post-processor adds BOS and friends. Decoding maps ids to token strings and runs the decoder
/// chain. Immutable after construction, so one instance serves every thread.
public final class Tokenizer: Sendable {
    public let normalizer: (any Normalizer)?
    public let preTokenizer: (any PreTokenizer)?
    public let model: any TokenizerModel
    public let postProcessor: (any PostProcessor)?
    public let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary
    /// The id generation starts from, if the tokenizer has one.
    public let bosTokenID: Int?
    /// Ids that end generation (EOS, and end-of-turn tokens the config names).
    public let eosTokenIDs: [Int]
    /// `tokenizer.json`'s truncation and padding; applied by `encoding(_:)`, never by `encode`.
    public let truncation: TruncationParameters?
    public let padding: PaddingParameters?

    public init(
        normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizerModel,
        postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken],
        bosTokenID: Int?, eosTokenIDs: [Int], truncation: TruncationParameters? = nil, padding: PaddingParameters? = nil
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedVocabulary = AddedVocabulary(addedTokens, normalizer: normalizer)
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.truncation = truncation
        self.padding = padding
    }

    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    /// One past the largest id of the model or the added tokens (HF's size with added tokens
    /// when ids are dense). The model's embedding table may be larger (Qwen pads to 151936).
    public var vocabularySize: Int {
        max(model.vocabularySize, (addedVocabulary.maxID ?? -1) + 1)
    }

    /// - Parameter addSpecialTokens: apply the post-processor (BOS for Llama, nothing for
    ///   Qwen/SmolLM2/GPT-2), as HF's `add_special_tokens`. Special tokens written in the text,
    ///   like `<|im_start|>`, are always recognised.
    ///
    /// Ids only, without the file's truncation and padding (generation wants neither); use
    /// `encoding(_:addSpecialTokens:)` for those, tokens and offsets.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        var pieces: [String] = []
        // Metaspace's `prepend_scheme: first` only applies to text at the very start.
        var atStart = true
        for segment in addedVocabulary.rawMatcher.split(text) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw):
                let normalized = normalizer?.normalize(raw) ?? raw
                for inner in addedVocabulary.normalizedMatcher.split(normalized) {
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case .text(let text):
                        defer { atStart = false }
                        guard let preTokenizer else {
                            model.tokenize(text, into: &ids)
                            continue
                        }
                        pieces.removeAll(keepingCapacity: true)
                        preTokenizer.preTokenize(text, atStart: atStart, pieces: &pieces)
                        for piece in pieces {
                            model.tokenize(piece, into: &ids)
                        }
                    }
                }
            }
            atStart = false
        }
        return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
    }

    /// Ids that are not in the vocabulary are ignored, as HF does.
    public func decode(_ ids: some Sequence<Int>, skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        for id in ids {
            if let added = addedVocabulary.token(for: id) {
                if !(skipSpecialTokens && added.special) { tokens.append(added.content) }
            } else if let token = model.token(for: id) {
                tokens.append(token)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// The token string of `id` as the vocabulary spells it (e.g. "Ġworld", "▁the", "<0x0A>").
    public func token(for id: Int) -> String? {
        addedVocabulary.token(for: id)?.content ?? model.token(for: id)
    }

    public func id(for token: String) -> Int? {
        addedVocabulary.id(for: token) ?? model.id(for: token)
    }

    /// Whether `decode(_:skipSpecialTokens: true)` drops `id`.
    public func isSpecialToken(_ id: Int) -> Bool {
        addedVocabulary.token(for: id)?.special ?? false
    }
}
