/// Reads `tokenizer.json`'s `truncation` and `padding` blocks.
enum EncodingConfigFactory {
    static func truncation(_ node: JSONNode) throws(TokenizerError) -> TruncationParameters {
        let maxLength = try node.required("max_length").int()
        guard maxLength >= 0 else { throw .invalidField(node.path + ".max_length", reason: "must not be negative") }
        return TruncationParameters(
            maxLength: maxLength, stride: try node.optional("stride")?.int() ?? 0,
            strategy: try enumValue(node, "strategy", default: .longestFirst),
            direction: try enumValue(node, "direction", default: .right))
    }

    /// `strategy` is `"BatchLongest"` or `{"Fixed": n}`.
    static func padding(_ node: JSONNode) throws(TokenizerError) -> PaddingParameters {
        var strategy = PaddingParameters.Strategy.batchLongest
        if let strategyNode = try node.optional("strategy") {
            if let fixed = (strategyNode.value as? [String: Any])?["Fixed"] {
                strategy = .fixed(try JSONNode(value: fixed, path: strategyNode.path + ".Fixed").int())
            } else if (strategyNode.value as? String) != "BatchLongest" {
                throw .invalidField(strategyNode.path, reason: "expected \"BatchLongest\" or {\"Fixed\": n}")
            }
        }
        return PaddingParameters(
            strategy: strategy, direction: try enumValue(node, "direction", default: .right),
            padToMultipleOf: try node.optional("pad_to_multiple_of")?.int(), padID: try node.optional("pad_id")?.int() ?? 0,
            padTypeID: try node.optional("pad_type_id")?.int() ?? 0, padToken: try node.optionalString("pad_token") ?? "[PAD]")
    }

    private static func enumValue<T: RawRepresentable<String>>(_ node: JSONNode, _ key: String, default fallback: T)
        throws(TokenizerError) -> T
    {
        guard let name = try node.optionalString(key) else { return fallback }
        guard let value = T(rawValue: name) else { throw .invalidField(node.path + "." + key, reason: "unknown value '\(name)'") }
        return value
    }
}
