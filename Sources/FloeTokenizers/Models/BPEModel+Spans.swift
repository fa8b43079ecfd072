extension BPEModel: SpanTokenizingModel {
    /// Runs the same merges as `tokenize`, then walks the result against the piece: a merged
    /// token covers as many characters as it spells (minus its affixes); byte-fallback tokens of
    /// one character all cover that character, and an unknown token covers its run.
    func tokenizeWithSpans(_ piece: String, into spans: inout [TokenSpan]) {
        var ids: [Int] = []
        tokenize(piece, into: &ids)
        let scalars = Array(piece.unicodeScalars)
        let byteSet = Set(byteIDs.filter { $0 >= 0 }.map(Int.init))
        let prefixLength = options.continuingSubwordPrefix?.unicodeScalars.count ?? 0
        let suffixLength = options.endOfWordSuffix?.unicodeScalars.count ?? 0
        var position = 0
        var index = 0
        while index < ids.count {
            let id = ids[index]
            if byteSet.contains(id), position < scalars.count {
                // The bytes of one character arrive together.
                let width = UTF8.width(scalars[position])
                for k in 0..<width where index + k < ids.count {
                    spans.append(TokenSpan(id: ids[index + k], start: position, end: position + 1))
                }
                index += width
                position += 1
                continue
            }
            var length: Int
            if let unknownID, id == Int(unknownID) {
                length = unknownRunLength(scalars, from: position)
            } else {
                length = token(for: id)?.unicodeScalars.count ?? 1
                if position > 0 { length -= prefixLength }
                if suffixLength > 0, index == ids.count - 1 { length -= suffixLength }
            }
            length = max(1, min(length, scalars.count - position))
            spans.append(TokenSpan(id: id, start: position, end: position + length))
            position += length
            index += 1
        }
    }

    /// How many characters from `start` have no token (and no byte tokens): fused into one
    /// unknown when `fuseUnknown`, else one.
    private func unknownRunLength(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        guard options.fuseUnknown else { return 1 }
        var end = start
        while end < scalars.count, !isKnown(scalars[end]) { end += 1 }
        return max(1, end - start)
    }

    private func isKnown(_ scalar: Unicode.Scalar) -> Bool {
        if vocab[String(scalar)] != nil { return true }
        guard !byteIDs.isEmpty else { return false }
        return UTF8.encode(scalar)!.allSatisfy { byteIDs[Int($0)] >= 0 }
    }
}
