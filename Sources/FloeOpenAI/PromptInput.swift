/// `/v1/completions`' `prompt`: one or several prompts, as text or as token ids. OpenAI accepts
/// a string, a list of strings, a list of token ids, or a list of such lists.
public enum PromptInput: Decodable, Sendable, Equatable {
    case texts([String])
    case tokenIDLists([[Int]])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .texts([text])
        } else if let ids = try? container.decode([Int].self), !ids.isEmpty {
            self = .tokenIDLists([ids])
        } else if let texts = try? container.decode([String].self), !texts.isEmpty {
            self = .texts(texts)
        } else if let lists = try? container.decode([[Int]].self), !lists.isEmpty {
            self = .tokenIDLists(lists)
        } else {
            throw DecodingError.typeMismatch(
                PromptInput.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string, a list of strings, a list of token ids or a list of such lists (none empty)"))
        }
    }

    public var count: Int {
        switch self {
        case .texts(let texts): texts.count
        case .tokenIDLists(let lists): lists.count
        }
    }
}
