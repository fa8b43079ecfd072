import AsyncHTTPClient
import FloeCPU
import FloeRunner
import FloeServer
import Foundation
import NIOCore
import Logging
import NIOHTTP1
import ServiceLifecycle

/// A `floe serve` started in-process on 127.0.0.1 with an ephemeral port, and a real HTTP
/// client to drive it.
final class TestServer: Sendable {
    let llm: LLM
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let stories = repository.appendingPathComponent("Tests/Fixtures/stories260K/gguf/stories260K-f32.gguf").path

    /// SmolLM2 (it has a chat template), fetched by scripts/fetch-model.sh; nil when absent.
    static var smolLM2: String? {
        let directory = ProcessInfo.processInfo.environment["FLOE_MODELS_DIR"] ?? repository.appendingPathComponent("models").path
        let path = (directory as NSString).appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    private init(llm: LLM, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.llm = llm
        self.port = port
        self.group = group
        self.task = task
    }

    static func start(
        model: String = stories, options: EngineOptions = EngineOptions(kvCacheBytes: 16 << 20),
        configure: (inout ServerConfig) -> Void = { _ in }
    ) async throws -> TestServer {
        let llm = try LLM(model: model, backend: CPUBackend(threads: 2), options: options)
        var config = ServerConfig(host: "127.0.0.1", port: 0, servedModelNames: ["test-model"])
        configure(&config)
        let server = FloeHTTPServer(llm: llm, modelPath: model, config: config)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        // A service group, as `floe serve` runs it, so `stop()` is the graceful shutdown SIGTERM
        // triggers (stop accepting, finish in-flight requests).
        let group = ServiceGroup(services: [app], logger: Logger(label: "floe.test"))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return TestServer(llm: llm, port: port, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// The `error` object of an OpenAI error body.
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    func request(_ method: HTTPMethod = .POST, _ path: String, body: String? = nil, apiKey: String? = nil) async throws
        -> Reply
    {
        let response = try await HTTPClient.shared.execute(makeRequest(method, path, body: body, apiKey: apiKey), timeout: .seconds(120))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }

    func request(_ path: String, json: [String: Any], apiKey: String? = nil) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: json)
        return try await request(.POST, path, body: String(decoding: data, as: UTF8.self), apiKey: apiKey)
    }

    func makeRequest(_ method: HTTPMethod, _ path: String, body: String?, apiKey: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        return request
    }

    /// The JSON objects of an SSE body's `data:` lines, and whether it ended with `[DONE]`.
    static func events(_ text: String) -> (chunks: [[String: Any]], done: Bool) {
        var chunks: [[String: Any]] = []
        var done = false
        for line in text.split(separator: "\n") where line.hasPrefix("data: ") {
            let payload = line.dropFirst(6)
            if payload == "[DONE]" { done = true; continue }
            if let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] { chunks.append(object) }
        }
        return (chunks, done)
    }
}
