/// Turns runs of `<0xNN>` tokens back into the characters they spell (HF `ByteFallback`). A run
/// that is not valid UTF-8 yields one U+FFFD per byte, as HF does.
public struct ByteFallbackDecoder: TokenDecoder {
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(tokens.count)
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                result.append(text)
            } else {
                result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll(keepingCapacity: true)
        }
        for token in tokens {
            if let byte = Self.byteValue(token) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }

    /// The byte of a `<0xNN>` token (hex digits of either case, as HF parses them).
    static func byteValue(_ token: String) -> UInt8? {
        let utf8 = token.utf8
        guard utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        let digits = token.dropFirst(3).prefix(2)
        return UInt8(digits, radix: 16)
    }
}
