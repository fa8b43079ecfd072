/// What frontends (HTTP server, CLI, benchmarks) use to talk to an engine.
public protocol EngineClient: Sendable {
    /// Queues a request; its outputs arrive on the returned stream, which finishes after the
    /// last sample finishes. Cancelling the consuming task aborts the request.
    func submit(_ request: EngineRequest) throws(EngineError) -> AsyncThrowingStream<RequestOutput, any Error>
    /// Ends a request early: `.abort` for clients that went away, `.stop` for stop strings the
    /// frontend found.
    func finish(_ id: RequestID, reason: FinishReason)
    var stats: EngineStats { get }
}
