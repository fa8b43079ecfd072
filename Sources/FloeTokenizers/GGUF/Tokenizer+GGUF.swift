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
        case "bert": pipeline = try GGUFPipeline.wordPiece(vocabulary)
        default: throw .unsupported("tokenizer.ggml.model=\(vocabulary.model)")
        }

        var leading: [TemplatePostProcessor.Piece] = []
        var trailing: [TemplatePostProcessor.Piece] = []
        var bosID = vocabulary.bosTokenID
        var eosID = vocabulary.eosTokenID
        var addsEOS = vocabulary.addEOS ?? false
        if vocabulary.model == "bert" {
            // BERT frames text as [CLS] ... [SEP]; the GGUF names them cls/seperator ids, which
            // `GGUFVocabulary` does not carry, so they are found by name.
            bosID = tokens.firstIndex(of: "[CLS]") ?? bosID
            eosID = tokens.firstIndex(of: "[SEP]") ?? eosID
            addsEOS = vocabulary.addEOS ?? true
        }
        if vocabulary.addBOS ?? pipeline.addsBOSByDefault, let bos = bosID { leading = [.special([bos])] }
        if addsEOS, let eos = eosID { trailing = [.special([eos])] }
        var eosIDs: [Int] = []
        for id in [eosID, vocabulary.eotTokenID, vocabulary.eomTokenID].compactMap({ $0 })
        where !eosIDs.contains(id) {
            eosIDs.append(id)
        }
        self.init(
            normalizer: pipeline.normalizer, preTokenizer: pipeline.preTokenizer, model: pipeline.model,
            postProcessor: TemplatePostProcessor(single: leading + [.sequence] + trailing), decoder: pipeline.decoder,
            addedTokens: addedTokens, bosTokenID: bosID, eosTokenIDs: eosIDs)
    }
}
