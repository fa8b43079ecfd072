import FloeRunner
import Foundation
import Hummingbird
import Logging

/// `floe serve`: an OpenAI-compatible HTTP server over one `LLM`.
///
/// Handlers run on Swift's cooperative pool; the engine steps on its own thread, so the event
/// loops only parse, tokenize and write.
public struct FloeHTTPServer: Sendable {
    let service: OpenAIService

    public init(llm: LLM, modelPath: String, config: ServerConfig) {
        service = OpenAIService(llm: llm, modelPath: modelPath, config: config)
    }

    public var llm: LLM { service.llm }

    /// The Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let router = Router(context: FloeRequestContext.self)
        // Error mapping is outermost so that auth failures get OpenAI bodies too.
        router.add(middleware: OpenAIErrorMiddleware(metrics: service.metrics))
        if let apiKey = service.config.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }
        let service = self.service
        router.post("/v1/completions") { request, context in
            try await service.completions(request, connection: context.channel)
        }
        router.post("/v1/chat/completions") { request, context in
            try await service.chatCompletions(request, connection: context.channel)
        }
        router.get("/v1/models") { _, _ in try service.models() }
        router.post("/tokenize") { request, _ in try await service.tokenize(request) }
        router.post("/detokenize") { request, _ in try await service.detokenize(request) }
        router.get("/health") { _, _ in HTTPResponse.Status.ok }
        router.get("/version") { _, _ in try service.versionResponse() }
        router.get("/metrics") { _, _ in service.metricsResponse() }
        var logger = Logger(label: "floe.serve")
        logger.logLevel = .info
        return Application(
            router: router,
            // One hang-up detector per connection: non-streaming handlers read it to abort.
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientHangUpDetector()])),
            configuration: .init(address: .hostname(service.config.host, port: service.config.port), serverName: "floe"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? service.config.port) },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, lets in-flight requests finish, and
    /// returns (Hummingbird's graceful shutdown).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
