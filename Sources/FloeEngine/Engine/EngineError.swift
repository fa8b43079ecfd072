/// Why the engine refused or ended a request.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// The request can never run (bad parameters, too long, id in use).
    case rejected(SchedulerError)
    /// The executor failed a step this request was part of.
    case executorFailed(String)
    /// The engine stopped before the request finished.
    case shutDown

    public var description: String {
        switch self {
        case .rejected(let error): error.description
        case .executorFailed(let message): "the model executor failed: \(message)"
        case .shutDown: "the engine has shut down"
        }
    }
}
