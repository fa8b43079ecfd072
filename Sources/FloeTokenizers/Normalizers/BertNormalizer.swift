import Foundation

/// BERT's text cleanup (HF `BertNormalizer`), in HF's order: drop NUL, U+FFFD and control
/// characters and turn whitespace into " " (`cleanText`); surround CJK ideographs with spaces
/// (`handleChineseChars`); NFD and drop nonspacing marks, Mn only, unlike the `StripAccents`
/// normalizer which drops every M* (`stripAccents`, which defaults to
/// `lowercase`); lowercase.
public struct BertNormalizer: Normalizer, AlignedNormalizer {
    public let cleanText: Bool
    public let handleChineseChars: Bool
    public let stripAccents: Bool
    public let lowercase: Bool

    /// - Parameter stripAccents: nil means "same as `lowercase`", as in HF.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    public func normalize(_ text: String) -> String {
        if let ascii = normalizeASCII(text) { return ascii }
        var out = String.UnicodeScalarView()
        var buffer: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            // ASCII inside mixed text: no allocation per character.
            if scalar.value < 0x80, let ascii = asciiScalar(scalar) {
                if ascii.value != 0 { out.append(ascii) }
                continue
            }
            buffer.removeAll(keepingCapacity: true)
            transform(scalar, into: &buffer)
            out.append(contentsOf: buffer)
        }
        return String(out)
    }

    func normalize(aligned text: AlignedText) -> AlignedText {
        text.mapScalars { scalar, out in transform(scalar, into: &out) }
    }

    /// Every step is per character, so one scalar at a time gives HF's result and alignment.
    func transform(_ scalar: Unicode.Scalar, into out: inout [Unicode.Scalar]) {
        if cleanText {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { return }
            if Self.isWhitespace(scalar) {
                out.append(" ")
                return
            }
        }
        if handleChineseChars, Self.isChineseCharacter(scalar) {
            out.append(contentsOf: [" ", scalar, " "])
            return
        }
        var pieces: [Unicode.Scalar] = [scalar]
        if stripAccents, scalar.value >= 0xC0 {
            pieces = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        for piece in pieces {
            if lowercase {
                out.append(contentsOf: LowercaseNormalizer.lowercase(piece).unicodeScalars)
            } else {
                out.append(piece)
            }
        }
    }

    /// The result for an ASCII scalar (U+0000 meaning "dropped"), or nil to take the slow path.
    @inline(__always)
    private func asciiScalar(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        var v = scalar.value
        if cleanText {
            if v >= 0x09 && v <= 0x0D { return " " }
            if v < 0x20 || v == 0x7F { return Unicode.Scalar(0) }
        } else if v < 0x20 || v == 0x7F {
            return nil
        }
        if lowercase, v >= 0x41 && v <= 0x5A { v += 0x20 }
        return Unicode.Scalar(v)
    }

    /// ASCII text (most input) needs only control removal and A-Z lowering: done on bytes.
    private func normalizeASCII(_ text: String) -> String? {
        let utf8 = text.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let needsWork = utf8.contains { $0 < 0x20 || $0 == 0x7F || (lowercase && $0 >= 0x41 && $0 <= 0x5A) }
        guard needsWork else { return text }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count)
        for b in utf8 {
            var b = b
            if cleanText {
                if b >= 0x09 && b <= 0x0D { b = 0x20 } else if b < 0x20 || b == 0x7F { continue }
            }
            if lowercase, b >= 0x41 && b <= 0x5A { b += 0x20 }
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Rust `char::is_whitespace`, plus tab, newline and carriage return.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.value == 0x09 || s.value == 0x0A || s.value == 0x0D || s.properties.isWhitespace
    }

    /// Categories Cc, Cf, Co, Cs, except tab, newline and carriage return. Unassigned code
    /// points are kept (HF keeps U+D7FF and encodes it as [UNK]).
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s.value == 0x09 || s.value == 0x0A || s.value == 0x0D { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as words of their own.
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
