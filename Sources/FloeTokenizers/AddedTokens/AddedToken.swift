/// A token matched in the raw text before the model sees it (HF `AddedToken`): chat markers
/// such as `<|im_start|>`, BOS/EOS, user-defined tokens.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Matches only when not inside a word.
    public var singleWord: Bool
    /// Also swallows the whitespace before / after it.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matched in the normalized text (with its content normalized) instead of the raw text.
    public var normalized: Bool
    /// Skipped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool

    public init(
        id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, special: Bool = true
    ) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }
}
