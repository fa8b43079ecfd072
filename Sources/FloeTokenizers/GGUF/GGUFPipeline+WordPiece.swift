extension GGUFPipeline {
    /// llama.cpp's `bert` (WPM) vocabularies. The converter rewrites WordPiece spellings:
    /// word-initial tokens get a "▁" prefix, continuations lose their "##", bracketed tokens
    /// ("[CLS]", "[unused0]") are kept. Undoing that gives back the `tokenizer.json` vocabulary,
    /// and the pipeline is BERT uncased's (what llama.cpp's WPM tokenizer implements).
    static func wordPiece(_ vocabulary: GGUFVocabulary) throws(TokenizerError) -> GGUFPipeline {
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(vocabulary.tokens.count)
        for (id, token) in vocabulary.tokens.enumerated() {
            let name = wordPieceSpelling(token, type: vocabulary.type(of: id))
            if vocab[name] == nil { vocab[name] = id }
        }
        let unknownID = vocabulary.unknownTokenID ?? vocab["[UNK]"]
        guard let unknownID else { throw .missingField("tokenizer.ggml.unknown_token_id") }
        let unknown = wordPieceSpelling(vocabulary.tokens[unknownID], type: vocabulary.type(of: unknownID))
        let model = try WordPieceModel(vocab: vocab, unknownToken: unknown)
        return GGUFPipeline(
            normalizer: BertNormalizer(), preTokenizer: BertPreTokenizer(), model: model, decoder: WordPieceDecoder(),
            addsBOSByDefault: true)
    }

    static func wordPieceSpelling(_ token: String, type: GGUFVocabulary.TokenType) -> String {
        if type == .control || (token.hasPrefix("[") && token.hasSuffix("]")) { return token }
        if token.unicodeScalars.first == "▁" { return String(token.unicodeScalars.dropFirst()) }
        return "##" + token
    }
}
