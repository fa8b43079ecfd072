extension Tokenizer {
    /// Encodes `text` as HF `Tokenizer.encode` does: ids, tokens, character offsets into
    /// `text`, masks; then the file's truncation (keeping room for special tokens) and padding.
    /// - Parameter applyTruncationAndPadding: false ignores the file's `truncation`/`padding`
    ///   (e.g. MiniLM pads everything to 128); the `Encoding` helpers can apply other values.
    public func encoding(_ text: String, addSpecialTokens: Bool = true, applyTruncationAndPadding: Bool = true) -> Encoding {
        var encoding = rawEncoding(text)
        let processor = postProcessor as? any EncodingPostProcessor
        if applyTruncationAndPadding, let truncation {
            let room = truncation.maxLength - (processor?.addedTokenCount(addSpecialTokens: addSpecialTokens) ?? 0)
            encoding.truncate(maxLength: room, stride: truncation.stride, direction: truncation.direction)
        }
        processor?.process(&encoding, addSpecialTokens: addSpecialTokens) { self.token(for: $0) ?? "" }
        if applyTruncationAndPadding, let padding { encoding.pad(padding) }
        return encoding
    }

    /// Encodes UTF-8 bytes. HF's API only accepts valid strings, so invalid input has no
    /// reference behaviour: by default it is rejected with the byte offset of the first bad
    /// sequence; with `lossy`, each maximal invalid subsequence becomes U+FFFD first (as
    /// Python's `bytes.decode("utf-8", "replace")`), and the ids are those of that text.
    public func encode(utf8 bytes: some Collection<UInt8>, addSpecialTokens: Bool = true, lossy: Bool = false)
        throws(TokenizerError) -> [Int]
    {
        if !lossy, let offset = Self.firstInvalidUTF8Offset(bytes) {
            throw .invalidInput("invalid UTF-8 at byte offset \(offset)")
        }
        return encode(String(decoding: bytes, as: UTF8.self), addSpecialTokens: addSpecialTokens)
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8Offset(_ bytes: some Collection<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// The text's tokens before post-processing.
    private func rawEncoding(_ text: String) -> Encoding {
        let scalars = Array(text.unicodeScalars)
        var encoding = Encoding()
        var last = 0
        for match in addedVocabulary.rawMatcher.matches(in: scalars) {
            if last < match.range.lowerBound {
                appendText(AlignedText(scalars[last..<match.range.lowerBound], offset: last), to: &encoding)
            }
            encoding.append(id: match.id, token: token(for: match.id) ?? "", offset: match.range)
            last = match.range.upperBound
        }
        if last < scalars.count { appendText(AlignedText(scalars[last...], offset: last), to: &encoding) }
        return encoding
    }

    private func appendText(_ raw: AlignedText, to encoding: inout Encoding) {
        let normalized = normalizer.map { raw.normalized(by: $0) } ?? raw
        var last = 0
        for match in addedVocabulary.normalizedMatcher.matches(in: normalized.scalars) {
            if last < match.range.lowerBound { appendPieces(normalized[last..<match.range.lowerBound], to: &encoding) }
            encoding.append(id: match.id, token: token(for: match.id) ?? "", offset: normalized.originalRange(match.range))
            last = match.range.upperBound
        }
        if last < normalized.count { appendPieces(normalized[last..<normalized.count], to: &encoding) }
    }

    private func appendPieces(_ text: AlignedText, to encoding: inout Encoding) {
        var pieces: [AlignedText] = []
        if let preTokenizer { preTokenizer.preTokenizeAligned(text, into: &pieces) } else { pieces = [text] }
        var spans: [TokenSpan] = []
        for piece in pieces where !piece.isEmpty {
            spans.removeAll(keepingCapacity: true)
            model.spans(of: piece.string, into: &spans)
            for span in spans {
                encoding.append(
                    id: span.id, token: span.value ?? model.token(for: span.id) ?? "", offset: piece.originalRange(span.start..<span.end))
            }
        }
    }
}
