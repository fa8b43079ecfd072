/// Post-processing of a full `Encoding` (tokens, offsets, masks), next to the ids-only
/// `PostProcessor.process`. Internal: every post-processor Floe builds conforms.
protocol EncodingPostProcessor {
    func process(_ encoding: inout Encoding, addSpecialTokens: Bool, tokenName: (Int) -> String)
    /// How many tokens `process` adds; truncation keeps room for them.
    func addedTokenCount(addSpecialTokens: Bool) -> Int
}

extension SequencePostProcessor: EncodingPostProcessor {
    func process(_ encoding: inout Encoding, addSpecialTokens: Bool, tokenName: (Int) -> String) {
        for processor in processors {
            (processor as? any EncodingPostProcessor)?.process(&encoding, addSpecialTokens: addSpecialTokens, tokenName: tokenName)
        }
    }

    func addedTokenCount(addSpecialTokens: Bool) -> Int {
        processors.reduce(0) { $0 + (($1 as? any EncodingPostProcessor)?.addedTokenCount(addSpecialTokens: addSpecialTokens) ?? 0) }
    }
}

extension PassThroughPostProcessor: EncodingPostProcessor {
    func process(_ encoding: inout Encoding, addSpecialTokens: Bool, tokenName: (Int) -> String) {}
    func addedTokenCount(addSpecialTokens: Bool) -> Int { 0 }
}

extension TemplatePostProcessor: EncodingPostProcessor {
    func process(_ encoding: inout Encoding, addSpecialTokens: Bool, tokenName: (Int) -> String) {
        guard addSpecialTokens else { return }
        var result = Encoding()
        for piece in single {
            switch piece {
            case .sequence:
                result.append(contentsOf: encoding)
            case .special(let ids):
                for id in ids { result.append(id: id, token: tokenName(id), offset: 0..<0, special: true) }
            }
        }
        result.overflowing = encoding.overflowing.map { overflow in
            var overflow = overflow
            process(&overflow, addSpecialTokens: addSpecialTokens, tokenName: tokenName)
            return overflow
        }
        encoding = result
    }

    func addedTokenCount(addSpecialTokens: Bool) -> Int {
        guard addSpecialTokens else { return 0 }
        return single.reduce(0) { count, piece in
            if case .special(let ids) = piece { return count + ids.count }
            return count
        }
    }
}

/// HF `ByteLevel` as a post-processor: ids pass through; with `trimOffsets`, offsets drop the
/// spaces ("Ġ") a token starts or ends with, except the one `addPrefixSpace` put before the
/// first token.
public struct ByteLevelPostProcessor: PostProcessor, EncodingPostProcessor {
    public let trimOffsets: Bool
    public let addPrefixSpace: Bool

    public init(trimOffsets: Bool, addPrefixSpace: Bool) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] { ids }

    func addedTokenCount(addSpecialTokens: Bool) -> Int { 0 }

    func process(_ encoding: inout Encoding, addSpecialTokens: Bool, tokenName: (Int) -> String) {
        guard trimOffsets else { return }
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == "Ġ" || s.properties.isWhitespace }
        for i in encoding.offsets.indices {
            let scalars = Array(encoding.tokens[i].unicodeScalars)
            var leading = scalars.prefix(while: isSpace).count
            let trailing = scalars.reversed().prefix(while: isSpace).count
            var range = encoding.offsets[i]
            if leading > 0 {
                if (i == 0 || range.lowerBound == 0) && addPrefixSpace && leading == 1 { leading = 0 }
                range = min(range.lowerBound + leading, range.upperBound)..<range.upperBound
            }
            if trailing > 0, range.upperBound >= trailing {
                range = range.lowerBound..<max(range.upperBound - trailing, range.lowerBound)
            }
            encoding.offsets[i] = range
        }
    }
}
