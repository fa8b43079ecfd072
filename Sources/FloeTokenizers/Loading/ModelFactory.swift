import Foundation

/// Builds the model from `tokenizer.json`'s `model` object. Vocab and merges are large (150k+
/// entries), so they are read with direct casts rather than one `JSONNode` per element.
enum ModelFactory {
    static func model(_ node: JSONNode) throws(TokenizerError) -> any TokenizerModel {
        // Old files omit `type` for BPE.
        let type = try node.optionalString("type") ?? "BPE"
        switch type {
        case "BPE": return try bpe(node)
        case "WordPiece": return try wordPiece(node)
        case "Unigram": return try unigram(node)
        default: throw .unsupported("\(node.path).type=\(type)")
        }
    }

    static func vocabulary(_ node: JSONNode) throws(TokenizerError) -> [String: Int] {
        let raw = try node.object()
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(raw.count)
        for (token, value) in raw {
            guard let id = value as? Int, id >= 0 else {
                throw .invalidField(node.path, reason: "id of '\(token)' is not a non-negative integer")
            }
            vocab[token] = id
        }
        return vocab
    }

    private static func bpe(_ node: JSONNode) throws(TokenizerError) -> BPEModel {
        let vocab = try vocabulary(node.required("vocab"))
        let merges = try mergePairs(node.optional("merges"))
        var options = BPEModel.Options()
        options.unknownToken = try node.optionalString("unk_token")
        options.byteFallback = try node.bool("byte_fallback", default: false)
        options.fuseUnknown = try node.bool("fuse_unk", default: false)
        options.ignoreMerges = try node.bool("ignore_merges", default: false)
        options.continuingSubwordPrefix = try node.optionalString("continuing_subword_prefix")
        options.endOfWordSuffix = try node.optionalString("end_of_word_suffix")
        if let dropout = try node.optional("dropout"), let value = dropout.value as? Double, value > 0 {
            throw .unsupported("\(dropout.path)=\(value) (BPE dropout is a training feature)")
        }
        return try BPEModel(vocab: vocab, merges: merges, options: options)
    }

    private static func wordPiece(_ node: JSONNode) throws(TokenizerError) -> WordPieceModel {
        try WordPieceModel(
            vocab: try vocabulary(node.required("vocab")), unknownToken: try node.optionalString("unk_token") ?? "[UNK]",
            continuingSubwordPrefix: try node.optionalString("continuing_subword_prefix") ?? "##",
            maxInputCharsPerWord: try node.optional("max_input_chars_per_word")?.int() ?? 100)
    }

    /// Unigram vocabularies are `[[piece, log-probability], ...]` in id order.
    private static func unigram(_ node: JSONNode) throws(TokenizerError) -> UnigramModel {
        let vocabNode = try node.required("vocab")
        guard let raw = vocabNode.value as? [Any] else { throw .invalidField(vocabNode.path, reason: "expected an array") }
        var vocab: [(String, Double)] = []
        vocab.reserveCapacity(raw.count)
        for (index, entry) in raw.enumerated() {
            guard let pair = entry as? [Any], pair.count == 2, let piece = pair[0] as? String,
                let score = (pair[1] as? NSNumber)?.doubleValue
            else { throw .invalidField("\(vocabNode.path)[\(index)]", reason: "expected [piece, score]") }
            vocab.append((piece, score))
        }
        return try UnigramModel(
            vocab: vocab, unknownID: try node.optional("unk_id")?.int(),
            byteFallback: try node.bool("byte_fallback", default: false))
    }

    /// Merges as `[["a", "b"], ...]` (current format) or `["a b", ...]` (older files).
    private static func mergePairs(_ node: JSONNode?) throws(TokenizerError) -> [(String, String)] {
        guard let node else { return [] }
        guard let raw = node.value as? [Any] else { throw .invalidField(node.path, reason: "expected an array") }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(raw.count)
        for (index, entry) in raw.enumerated() {
            if let pair = entry as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                pairs.append((left, right))
            } else if let line = entry as? String, let pair = splitMergeLine(line) {
                pairs.append(pair)
            } else {
                throw .invalidField("\(node.path)[\(index)]", reason: "expected [left, right] or \"left right\"")
            }
        }
        return pairs
    }

    /// "a b" -> ("a", "b"). Byte-level tokens never contain a space, so the first one separates.
    static func splitMergeLine(_ line: String) -> (String, String)? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let right = line[line.index(after: space)...]
        guard space != line.startIndex, !right.isEmpty else { return nil }
        return (String(line[..<space]), String(right))
    }
}
