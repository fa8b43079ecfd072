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
            let pattern = try node.required("pattern")
            let content = try node.string("content")
            if let regex = try pattern.optionalString("Regex") { return try ReplaceNormalizer(regex: regex, content: content) }
            return ReplaceNormalizer(pattern: try literalPattern(pattern), content: content)
        case "Lowercase":
            return LowercaseNormalizer()
        case "Strip":
            return StripNormalizer(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "StripAccents":
            return StripAccentsNormalizer()
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try node.bool("clean_text", default: true),
                handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                stripAccents: try node.optional("strip_accents")?.bool(), lowercase: try node.bool("lowercase", default: true))
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
            return SplitPreTokenizer(
                pattern: try splitPattern(node.required("pattern")), behavior: try behavior(node, default: nil),
                invert: try node.bool("invert", default: false))
        case "Digits":
            return DigitsPreTokenizer(individualDigits: try node.bool("individual_digits", default: false))
        case "Metaspace":
            let scheme: MetaspacePreTokenizer.PrependScheme
            if let name = try node.optionalString("prepend_scheme") {
                guard let parsed = MetaspacePreTokenizer.PrependScheme(rawValue: name) else {
                    throw .invalidField(node.path + ".prepend_scheme", reason: "unknown scheme '\(name)'")
                }
                scheme = parsed
            } else {
                // Files older than prepend_scheme say add_prefix_space.
                scheme = try node.bool("add_prefix_space", default: true) ? .always : .never
            }
            return MetaspacePreTokenizer(
                replacement: try oneScalar(node, "replacement", default: "▁"), prependScheme: scheme,
                split: try node.bool("split", default: true))
        case "Whitespace":
            return WhitespacePreTokenizer()
        case "WhitespaceSplit":
            return WhitespaceSplitPreTokenizer()
        case "BertPreTokenizer":
            return BertPreTokenizer()
        case "Punctuation":
            return PunctuationPreTokenizer(behavior: try behavior(node, default: .isolated))
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
        case "WordPiece":
            return WordPieceDecoder(prefix: try node.optionalString("prefix") ?? "##", cleanup: try node.bool("cleanup", default: true))
        case "Metaspace":
            let scalar = try oneScalar(node, "replacement", default: "▁")
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
            return ByteLevelPostProcessor(
                trimOffsets: try node.bool("trim_offsets", default: true), addPrefixSpace: try node.bool("add_prefix_space", default: true))
        case "TemplateProcessing":
            return try templateProcessing(node)
        case "BertProcessing", "RobertaProcessing":
            // Both are [CLS] $A [SEP] for one sequence; entries are [token, id].
            func id(_ key: String) throws(TokenizerError) -> Int {
                let pair = try node.required(key).array()
                guard pair.count == 2 else { throw .invalidField(node.path + "." + key, reason: "expected [token, id]") }
                return try pair[1].int()
            }
            let template = TemplatePostProcessor(single: [.special([try id("cls")]), .sequence, .special([try id("sep")])])
            guard type == "RobertaProcessing" else { return template }
            // Roberta also trims the byte-level spaces from offsets.
            let trim = ByteLevelPostProcessor(
                trimOffsets: try node.bool("trim_offsets", default: true), addPrefixSpace: try node.bool("add_prefix_space", default: true))
            return SequencePostProcessor([trim, template])
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

    private static func behavior(_ node: JSONNode, default fallback: SplitPreTokenizer.Behavior?)
        throws(TokenizerError) -> SplitPreTokenizer.Behavior
    {
        guard let name = try node.optionalString("behavior") else {
            if let fallback { return fallback }
            throw .missingField(node.path.isEmpty ? "behavior" : node.path + ".behavior")
        }
        guard let behavior = SplitPreTokenizer.Behavior(rawValue: name) else {
            throw .invalidField(node.path + ".behavior", reason: "unknown behavior '\(name)'")
        }
        return behavior
    }

    private static func oneScalar(_ node: JSONNode, _ key: String, default fallback: Unicode.Scalar)
        throws(TokenizerError) -> Unicode.Scalar
    {
        guard let text = try node.optionalString(key) else { return fallback }
        guard let scalar = text.unicodeScalars.first, text.unicodeScalars.count == 1 else {
            throw .invalidField(node.path + "." + key, reason: "expected one character")
        }
        return scalar
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
