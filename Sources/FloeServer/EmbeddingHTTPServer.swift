import FloeRunner
import Foundation
import Hummingbird
import Logging

/// `floe serve` with an embedding model: OpenAI's `/v1/embeddings` over one `EmbeddingEngine`.
/// (Arctic's gRPC `InferenceService` runs beside it on its own port: `ArcticGRPCServer`.)
public struct EmbeddingHTTPServer: Sendable {
    let service: EmbeddingService

    public init(engine: EmbeddingEngine, modelPath: String, config: ServerConfig) {
        service = EmbeddingService(engine: engine, modelPath: modelPath, config: config)
    }

    /// The Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware(metrics: service.metrics))
        if let apiKey = service.config.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }
        let service = self.service
        router.post("/v1/embeddings") { request, _ in try await service.embeddings(request) }
        router.get("/v1/models") { _, _ in try service.models() }
        router.get("/health") { _, _ in HTTPResponse.Status.ok }
        var logger = Logger(label: "floe.serve")
        logger.logLevel = .info
        return Application(
            router: router,
            configuration: .init(address: .hostname(service.config.host, port: service.config.port), serverName: "floe"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? service.config.port) },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT (graceful: in-flight requests finish), together with `grpc`
    /// when given, which stops with it.
    public func run(alongside grpc: ArcticGRPCServer?, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let grpc { group.addTask { try await grpc.serve() } }
            group.addTask {
                try await application(onRunning: onRunning).runService(gracefulShutdownSignals: [.sigterm, .sigint])
                grpc?.shutDown()
            }
            try await group.waitForAll()
        }
    }
}
