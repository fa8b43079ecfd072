/// Why a request stopped producing tokens (vLLM's finish reasons as the OpenAI API names them).
public enum FinishReason: String, Sendable, Equatable, CustomStringConvertible {
    /// EOS, a stop token id, or a stop string found by the frontend.
    case stop
    /// `max_tokens` reached, or the context reached `maxModelLen`.
    case length
    /// The client went away or asked to cancel; also used for requests failed by the executor.
    case abort

    public var description: String { rawValue }
}

/// Where a request is in its lifecycle.
public enum RequestStatus: Sendable, Equatable {
    /// Queued, never scheduled.
    case waiting
    /// Holds KV blocks and is scheduled every step until it finishes.
    case running
    /// Lost its blocks to a higher-priority request; back in the waiting queue and resumed by
    /// recomputing its prompt and the tokens it had generated.
    case preempted
    case finished(FinishReason)

    public var isFinished: Bool {
        if case .finished = self { true } else { false }
    }
}
