/// Why a tokenizer could not be built. Malformed files must surface here, never as a crash:
/// tokenizer files come from users and model hubs.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not valid JSON (or could not be read); the payload says why.
    case invalidJSON(String)
    /// A required field is absent; the payload is its path, e.g. `model.vocab`.
    case missingField(String)
    /// A field is present but has the wrong shape or an impossible value.
    case invalidField(String, reason: String)
    /// A component type this implementation does not (yet) support, e.g. `model.type=Unigram`.
    case unsupported(String)
    /// Text handed to encode that cannot be tokenized, e.g. bytes that are not UTF-8.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidJSON(let why): "tokenizer file is not valid JSON: \(why)"
        case .missingField(let path): "tokenizer file lacks required field '\(path)'"
        case .invalidField(let path, let reason): "tokenizer field '\(path)' is invalid: \(reason)"
        case .unsupported(let what): "unsupported tokenizer component: \(what)"
        case .invalidInput(let why): "invalid tokenizer input: \(why)"
        }
    }
}
