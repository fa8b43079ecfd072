import Foundation

extension Tokenizer {
    /// Builds a tokenizer from a Hugging Face `tokenizer.json`.
    /// - Parameter tokenizerConfig: the model's `tokenizer_config.json`, if available; its
    ///   `bos_token` / `eos_token` override the guesses made from the token names.
    public convenience init(tokenizerJSON data: Data, tokenizerConfig: Data? = nil) throws(TokenizerError) {
        let root = try JSONNode.parse(data)
        _ = try root.object()
        let normalizer = try root.optional("normalizer").map { (n) throws(TokenizerError) in try ComponentFactory.normalizer(n) }
        let preTokenizer = try root.optional("pre_tokenizer").map { (n) throws(TokenizerError) in
            try ComponentFactory.preTokenizer(n)
        }
        let model = try ModelFactory.model(root.required("model"))
        let postProcessor = try root.optional("post_processor").map { (n) throws(TokenizerError) in
            try ComponentFactory.postProcessor(n)
        }
        let decoder = try root.optional("decoder").map { (n) throws(TokenizerError) in try ComponentFactory.decoder(n) }
        var addedTokens: [AddedToken] = []
        for entry in try root.optional("added_tokens")?.array() ?? [] {
            addedTokens.append(
                AddedToken(
                    id: try entry.required("id").int(), content: try entry.string("content"),
                    singleWord: try entry.bool("single_word", default: false), lstrip: try entry.bool("lstrip", default: false),
                    rstrip: try entry.bool("rstrip", default: false), normalized: try entry.bool("normalized", default: true),
                    special: try entry.bool("special", default: false)))
        }
        let lookup: (String) -> Int? = { name in
            addedTokens.first { $0.content == name }?.id ?? model.id(for: name)
        }
        let special = try SpecialTokenResolver.resolve(
            config: tokenizerConfig, postProcessor: postProcessor, lookup: lookup)
        self.init(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
            decoder: decoder, addedTokens: addedTokens, bosTokenID: special.bos, eosTokenIDs: special.eos,
            truncation: try root.optional("truncation").map { (n) throws(TokenizerError) in try EncodingConfigFactory.truncation(n) },
            padding: try root.optional("padding").map { (n) throws(TokenizerError) in try EncodingConfigFactory.padding(n) })
    }

    public convenience init(tokenizerJSON url: URL, tokenizerConfig: URL? = nil) throws(TokenizerError) {
        let data: Data
        var config: Data?
        do {
            data = try Data(contentsOf: url)
            config = try tokenizerConfig.map { try Data(contentsOf: $0) }
        } catch {
            throw .invalidJSON("cannot read \(url.path): \(error)")
        }
        try self.init(tokenizerJSON: data, tokenizerConfig: config)
    }
}
