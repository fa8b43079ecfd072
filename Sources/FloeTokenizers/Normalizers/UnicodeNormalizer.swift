import Foundation

/// NFC / NFD / NFKC / NFKD (HF `NFC` etc.). Qwen2 needs NFC, and a GGUF of Qwen2 does not
/// record it, so the GGUF path adds it from the `pre` name.
public struct UnicodeNormalizer: Normalizer {
    public enum Form: String, Sendable {
        case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
    }

    public let form: Form

    public init(_ form: Form) {
        self.form = form
    }

    public func normalize(_ text: String) -> String {
        // Below U+00A0 every scalar is its own NFC/NFD/NFKC/NFKD form (the first scalar with a
        // decomposition or compatibility mapping is U+00A0), so plain ASCII-ish text skips
        // Foundation. This is the common case and keeps encode fast.
        if text.unicodeScalars.allSatisfy({ $0.value < 0xA0 }) { return text }
        switch form {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        }
    }
}
