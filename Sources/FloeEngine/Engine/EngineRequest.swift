/// A generation request as a frontend submits it: already tokenized and validated for
/// its API; the engine checks it against the model's limits.
public struct EngineRequest: Sendable {
    public var id: RequestID
    public var promptTokenIDs: [Int]
    public var params: SamplingParams
    /// The model's end-of-sequence ids.
    public var eosTokenIDs: Set<Int>

    public init(id: RequestID, promptTokenIDs: [Int], params: SamplingParams, eosTokenIDs: Set<Int> = []) {
        self.id = id
        self.promptTokenIDs = promptTokenIDs
        self.params = params
        self.eosTokenIDs = eosTokenIDs
    }
}
