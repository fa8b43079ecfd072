import Foundation

/// Finds BOS and EOS ids. `tokenizer.json` does not name them; `tokenizer_config.json` does,
/// and without it the conventional names of the model families Floe runs are used.
enum SpecialTokenResolver {
    static let bosNames = ["<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>"]
    /// End-of-text and end-of-turn markers; generation stops at any of them.
    static let eosNames = [
        "</s>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|endoftext|>", "<|im_end|>", "<eos>", "<end_of_turn>",
    ]

    static func resolve(config: Data?, postProcessor: (any PostProcessor)?, lookup: (String) -> Int?)
        throws(TokenizerError) -> (bos: Int?, eos: [Int])
    {
        if let config {
            let root = try JSONNode.parse(config)
            let bos = try name(root, "bos_token").flatMap(lookup)
            let eos = try name(root, "eos_token").flatMap(lookup)
            return (bos, eos.map { [$0] } ?? [])
        }
        let template = postProcessor as? TemplatePostProcessor
        let bos = template?.leadingSpecialIDs.first ?? bosNames.lazy.compactMap(lookup).first
        var eos: [Int] = []
        for id in eosNames.compactMap(lookup) where !eos.contains(id) && id != bos {
            eos.append(id)
        }
        return (bos, eos)
    }

    /// A special token in `tokenizer_config.json`: a string or `{"content": ...}`.
    private static func name(_ root: JSONNode, _ key: String) throws(TokenizerError) -> String? {
        guard let node = try root.optional(key) else { return nil }
        if let string = node.value as? String { return string }
        return try node.optionalString("content")
    }
}
