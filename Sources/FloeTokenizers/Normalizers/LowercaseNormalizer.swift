/// Lowercases text (HF `Lowercase`: Rust `char::to_lowercase` on each character, the full
/// Unicode mapping without context, as Swift's `lowercased()` does).
public struct LowercaseNormalizer: Normalizer {
    public init() {}

    public func normalize(_ text: String) -> String {
        text.lowercased()
    }

    static func lowercase(_ scalar: Unicode.Scalar) -> String {
        if scalar.value < 0x80 {
            let v = scalar.value
            return String(Unicode.Scalar(v >= 0x41 && v <= 0x5A ? v + 0x20 : v)!)
        }
        return scalar.properties.lowercaseMapping
    }
}
