/// `/v1/completions`' `prompt`: text or token ids. Lists of several prompts are recognised so
/// they can be refused with a clear message instead of a type error.
public enum PromptInput: Decodable, Sendable, Equatable {
    case text(String)
    case tokenIDs([Int])
    case several(Int)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let ids = try? container.decode([Int].self) {
            self = .tokenIDs(ids)
        } else if let texts = try? container.decode([String].self) {
            self = texts.count == 1 ? .text(texts[0]) : .several(texts.count)
        } else if let lists = try? container.decode([[Int]].self) {
            self = lists.count == 1 ? .tokenIDs(lists[0]) : .several(lists.count)
        } else {
            throw DecodingError.typeMismatch(
                PromptInput.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a string, a list of strings or a list of token ids"))
        }
    }
}
