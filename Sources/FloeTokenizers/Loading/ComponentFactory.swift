/// Builds pipeline components from their `tokenizer.json` objects. Unknown `type`s are a
/// `TokenizerError.unsupported` naming the component, so a new model fails loudly at load time
/// instead of producing wrong ids.
enum ComponentFactory {
    static func normalizer(_ node: JSONNode) throws(TokenizerError) -> any Normalizer {
        let type = try node.type()
        switch type {
        case "Sequence":
            var parts: [any Normalizer] = []
            for child in try node.required("normalizers").array() { parts.append(try normalizer(child)) }
            return SequenceNormalizer(parts)
        case "NFC", "NFD", "NFKC", "NFKD":
            return UnicodeNormalizer(UnicodeNormalizer.Form(rawValue: type)!)
        case "Prepend":
            return PrependNormalizer(try node.string("prepend"))
        case "Replace":
            return ReplaceNormalizer(pattern: try literalPattern(node.required("pattern")), content: try node.string("content"))
        case "Lowercase":
            return LowercaseNormalizer()
        default:
            throw .unsupported("\(node.path).type=\(type)")
        }
    }

    static func preTokenizer(_ node: JSONNode) throws(TokenizerError) -> any PreTokenizer {
        let type = try node.type()
        switch type {
        case "Sequence":
            var parts: [any PreTokenizer] = []
            for child in try node.required("pretokenizers").array() { parts.append(try preTokenizer(child)) }
            return SequencePreTokenizer(parts)
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try node.bool("add_prefix_space", default: true),
                useRegex: try node.bool("use_regex", default: true))
        case "Split":
            let behaviorName = try node.string("behavior")
            guard let behavior = SplitPreTokenizer.Behavior(rawValue: behaviorName) else {
                throw .invalidField(node.path + ".behavior", reason: "unknown behavior '\(behaviorName)'")
            }
            return SplitPreTokenizer(
                pattern: try splitPattern(node.required("pattern")), behavior: behavior,
                invert: try node.bool("invert", default: false))
        case "Digits":
            return DigitsPreTokenizer(individualDigits: try node.bool("individual_digits", default: false))
        default:
            throw .unsupported("\(node.path).type=\(type)")
        }
    }

    static func decoder(_ node: JSONNode) throws(TokenizerError) -> any TokenDecoder {
        let type = try node.type()
        switch type {
        case "Sequence":
            var parts: [any TokenDecoder] = []
            for child in try node.required("decoders").array() { parts.append(try decoder(child)) }
            return SequenceDecoder(parts)
        case "ByteLevel":
            return ByteLevelDecoder()
        case "ByteFallback":
            return ByteFallbackDecoder()
        case "Fuse":
            return FuseDecoder()
        case "Replace":
            return ReplaceDecoder(pattern: try literalPattern(node.required("pattern")), content: try node.string("content"))
        case "Strip":
            let content = try node.string("content")
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw .invalidField(node.path + ".content", reason: "expected one character")
            }
            return StripDecoder(
                content: scalar, start: try node.optional("start")?.int() ?? 0, stop: try node.optional("stop")?.int() ?? 0)
        case "Metaspace":
            let replacement = try node.optionalString("replacement") ?? "▁"
            guard let scalar = replacement.unicodeScalars.first, replacement.unicodeScalars.count == 1 else {
                throw .invalidField(node.path + ".replacement", reason: "expected one character")
            }
            let scheme = try node.optionalString("prepend_scheme")
            let addsPrefixSpace = try node.bool("add_prefix_space", default: true)
            let strips = scheme.map { $0 != "never" } ?? addsPrefixSpace
            return MetaspaceDecoder(replacement: scalar, stripsLeadingSpace: strips)
        default:
            throw .unsupported("\(node.path).type=\(type)")
        }
    }

    /// - Parameter vocabularyID: resolves token names used by Bert/Roberta processors.
    static func postProcessor(_ node: JSONNode) throws(TokenizerError) -> any PostProcessor {
        let type = try node.type()
        switch type {
        case "Sequence":
            var parts: [any PostProcessor] = []
            for child in try node.required("processors").array() { parts.append(try postProcessor(child)) }
            return SequencePostProcessor(parts)
        case "ByteLevel":
            return PassThroughPostProcessor()
        case "TemplateProcessing":
            return try templateProcessing(node)
        case "BertProcessing", "RobertaProcessing":
            // Both are [CLS] $A [SEP] for one sequence; entries are [token, id].
            func id(_ key: String) throws(TokenizerError) -> Int {
                let pair = try node.required(key).array()
                guard pair.count == 2 else { throw .invalidField(node.path + "." + key, reason: "expected [token, id]") }
                return try pair[1].int()
            }
            return TemplatePostProcessor(single: [.special([try id("cls")]), .sequence, .special([try id("sep")])])
        default:
            throw .unsupported("\(node.path).type=\(type)")
        }
    }

    private static func templateProcessing(_ node: JSONNode) throws(TokenizerError) -> TemplatePostProcessor {
        let specials = try node.optional("special_tokens")
        var pieces: [TemplatePostProcessor.Piece] = []
        for item in try node.required("single").array() {
            if let special = try item.optional("SpecialToken") {
                let name = try special.string("id")
                guard let entry = try specials?.optional(name) else {
                    throw .invalidField(item.path, reason: "special token '\(name)' is not in special_tokens")
                }
                pieces.append(.special(try entry.required("ids").array().map { (n) throws(TokenizerError) in try n.int() }))
            } else if try item.optional("Sequence") != nil {
                pieces.append(.sequence)
            } else {
                throw .invalidField(item.path, reason: "expected SpecialToken or Sequence")
            }
        }
        return TemplatePostProcessor(single: pieces)
    }

    private static func splitPattern(_ node: JSONNode) throws(TokenizerError) -> SplitPattern {
        if let literal = try node.optionalString("String") { return .literal(literal) }
        if let regex = try node.optionalString("Regex") { return try SplitPattern.fromRegex(regex) }
        throw .invalidField(node.path, reason: "expected {\"String\": ...} or {\"Regex\": ...}")
    }

    private static func literalPattern(_ node: JSONNode) throws(TokenizerError) -> String {
        if let literal = try node.optionalString("String") { return literal }
        if try node.optional("Regex") != nil { throw .unsupported("\(node.path): Replace with a Regex pattern") }
        throw .invalidField(node.path, reason: "expected {\"String\": ...}")
    }
}
