/// Errors from parsing or rendering a chat template. Positions are 1-based.
public enum ChatTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template text is not valid (in the subset we support).
    case syntax(message: String, line: Int, column: Int)
    /// The template called `raise_exception(message)`, e.g. to reject an unsupported conversation.
    case raised(message: String)
    /// Evaluation failed (type error, undefined value used in arithmetic, unknown filter, ...).
    case runtime(message: String, line: Int)

    public var description: String {
        switch self {
        case .syntax(let message, let line, let column): "template syntax error at \(line):\(column): \(message)"
        case .raised(let message): "template raised: \(message)"
        case .runtime(let message, let line): "template error at line \(line): \(message)"
        }
    }
}
