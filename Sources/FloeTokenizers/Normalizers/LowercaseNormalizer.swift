/// Lowercases text (HF `Lowercase`, which uses Unicode full lowercase mapping like Swift).
public struct LowercaseNormalizer: Normalizer {
    public init() {}

    public func normalize(_ text: String) -> String {
        text.lowercased()
    }
}
