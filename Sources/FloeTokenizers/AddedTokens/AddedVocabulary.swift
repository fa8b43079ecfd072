/// The added tokens of a tokenizer and the two passes HF makes over the text with them:
/// tokens with `normalized == false` are cut from the raw text, the others from the normalized
/// text, so that e.g. Llama 2's `<s>` is found before "▁" is prepended.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let byID: [Int: AddedToken]
    private let byContent: [String: Int]
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher

    init(_ tokens: [AddedToken], normalizer: (any Normalizer)?) {
        self.tokens = tokens
        byID = Dictionary(tokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        byContent = Dictionary(tokens.map { ($0.content, $0.id) }, uniquingKeysWith: { _, last in last })
        rawMatcher = AddedTokenMatcher(tokens.filter { !$0.normalized }.map { ($0.content, $0) })
        normalizedMatcher = AddedTokenMatcher(
            tokens.filter(\.normalized).map { (normalizer?.normalize($0.content) ?? $0.content, $0) })
    }

    func token(for id: Int) -> AddedToken? { byID[id] }

    func id(for content: String) -> Int? { byContent[content] }

    var maxID: Int? { tokens.map(\.id).max() }
}
