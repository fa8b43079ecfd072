extension Tokenizer {
    /// Builds a tokenizer from GGUF metadata, applying the same pipeline the model's
    /// `tokenizer.json` would (the GGUF only names it through `pre`).
    public convenience init(gguf vocabulary: GGUFVocabulary) throws(TokenizerError) {
        let tokens = vocabulary.tokens
        guard !tokens.isEmpty else { throw .missingField("tokenizer.ggml.tokens") }
        if let types = vocabulary.tokenTypes, types.count != tokens.count {
            throw .invalidField("tokenizer.ggml.token_type", reason: "\(types.count) types for \(tokens.count) tokens")
        }
        if let scores = vocabulary.scores, scores.count != tokens.count {
            throw .invalidField("tokenizer.ggml.scores", reason: "\(scores.count) scores for \(tokens.count) tokens")
        }
        for (key, id) in [
            ("bos", vocabulary.bosTokenID), ("eos", vocabulary.eosTokenID), ("eot", vocabulary.eotTokenID),
            ("eom", vocabulary.eomTokenID), ("unknown", vocabulary.unknownTokenID), ("padding", vocabulary.paddingTokenID),
        ] {
            if let id, !(0..<tokens.count).contains(id) {
                throw .invalidField("tokenizer.ggml.\(key)_token_id", reason: "\(id) is outside the vocabulary")
            }
        }

        // Control and user-defined tokens are matched in the raw text like HF's added tokens;
        // only control tokens are special (skipped when decoding without special tokens).
        var addedTokens: [AddedToken] = []
        for (id, token) in tokens.enumerated() {
            switch vocabulary.type(of: id) {
            case .control: addedTokens.append(AddedToken(id: id, content: token, special: true))
            case .userDefined: addedTokens.append(AddedToken(id: id, content: token, special: false))
            default: break
            }
        }

        let pipeline: GGUFPipeline
        switch vocabulary.model {
        case "gpt2": pipeline = try GGUFPipeline.byteLevel(vocabulary)
        case "llama": pipeline = try GGUFPipeline.sentencePiece(vocabulary)
        default: throw .unsupported("tokenizer.ggml.model=\(vocabulary.model)")
        }

        var leading: [TemplatePostProcessor.Piece] = []
        var trailing: [TemplatePostProcessor.Piece] = []
        if vocabulary.addBOS ?? pipeline.addsBOSByDefault, let bos = vocabulary.bosTokenID { leading = [.special([bos])] }
        if vocabulary.addEOS ?? false, let eos = vocabulary.eosTokenID { trailing = [.special([eos])] }
        var eosIDs: [Int] = []
        for id in [vocabulary.eosTokenID, vocabulary.eotTokenID, vocabulary.eomTokenID].compactMap({ $0 })
        where !eosIDs.contains(id) {
            eosIDs.append(id)
        }
        self.init(
            normalizer: pipeline.normalizer, preTokenizer: pipeline.preTokenizer, model: pipeline.model,
            postProcessor: TemplatePostProcessor(single: leading + [.sequence] + trailing), decoder: pipeline.decoder,
            addedTokens: addedTokens, bosTokenID: vocabulary.bosTokenID, eosTokenIDs: eosIDs)
    }
}
