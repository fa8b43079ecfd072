import FloeTokenizers

/// What `floe serve` was started with, beyond the engine's own sizing (`EngineOptions`).
public struct ServerConfig: Sendable {
    public var host: String
    /// 0 picks a free port (tests); the bound port is reported through `onRunning`.
    public var port: Int
    /// Names clients may use in `model`; the first is reported by `/v1/models` and responses.
    public var servedModelNames: [String]
    /// When set, `/v1/*` requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// Requests allowed to wait beyond the `maxNumSeqs` the engine runs; `nil` is unbounded.
    public var maxWaitingRequests: Int?
    /// Replaces the model's own chat template (`--chat-template`).
    public var chatTemplate: ChatTemplate?
    /// Seeds requests that bring no seed (each gets `seed + request number`), for reproducible
    /// runs of a whole server (`--seed`).
    public var seed: UInt64?
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// The device the engine runs on (`cpu`, `cuda`), as `--device` named it.
    public var device: String

    public init(
        host: String = "0.0.0.0", port: Int = 8000, servedModelNames: [String], apiKey: String? = nil,
        maxWaitingRequests: Int? = nil, chatTemplate: ChatTemplate? = nil, seed: UInt64? = nil,
        maxBodyBytes: Int = 32 << 20, device: String = "cpu"
    ) {
        self.device = device
        self.host = host
        self.port = port
        self.servedModelNames = servedModelNames
        self.apiKey = apiKey
        self.maxWaitingRequests = maxWaitingRequests
        self.chatTemplate = chatTemplate
        self.seed = seed
        self.maxBodyBytes = maxBodyBytes
    }
}
