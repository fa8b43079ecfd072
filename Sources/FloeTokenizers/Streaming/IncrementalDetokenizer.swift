/// Turns a stream of generated ids into text pieces as they become printable.
///
/// Decoding one token at a time is wrong twice over: a character can span several byte tokens
/// (byte-level BPE, `<0xNN>` fallback), and SentencePiece strips the leading space of the whole
/// text only. So, like HF's `DecodeStream`, this decodes a short window that starts one step
/// back (the context that fixes spacing), emits what the new ids added beyond the window's
/// previous text, and holds text back while it ends in an incomplete character (U+FFFD).
/// Everything emitted, followed by `finish()`, concatenates to `decode(allIDs)`.
public struct IncrementalDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    /// Ids from the start of the window.
    private var window: [Int] = []
    /// Text of `window[..<prefixCount]`, already emitted.
    private var prefix = ""
    private var prefixCount = 0

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one generated id; returns the text it completes (often empty mid-character).
    public mutating func append(_ id: Int) -> String {
        window.append(id)
        let text = tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens)
        guard text.unicodeScalars.last != "\u{FFFD}", text.utf8.count > prefix.utf8.count,
            text.hasScalarPrefix(prefix)
        else { return "" }
        let added = String(text.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
        // Slide: the ids just emitted become the context of the next window.
        window.removeFirst(prefixCount)
        prefixCount = window.count
        prefix = tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens)
        return added
    }

    /// Adds several ids; returns the text they complete.
    public mutating func append(contentsOf ids: some Sequence<Int>) -> String {
        ids.reduce(into: "") { $0 += append($1) }
    }

    /// Text still held back at the end of the stream (an incomplete character decodes to
    /// U+FFFD, as `decode` would).
    public mutating func finish() -> String {
        let text = tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens)
        let rest = text.hasScalarPrefix(prefix) ? String(text.unicodeScalars.dropFirst(prefix.unicodeScalars.count)) : ""
        window.removeAll()
        prefix = ""
        prefixCount = 0
        return rest
    }
}

extension String {
    /// Prefix test over scalars; `hasPrefix` compares grapheme clusters, so "e" would not be a
    /// prefix of "e\u{301}".
    func hasScalarPrefix(_ prefix: String) -> Bool {
        unicodeScalars.starts(with: prefix.unicodeScalars)
    }
}
