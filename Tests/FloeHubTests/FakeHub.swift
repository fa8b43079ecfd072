import FloeHub
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Hugging Face Hub on loopback, serving the routes `HubDownloader` uses from fixture files:
///
/// - `GET /api/models/{org}/{name}/revision/{rev}` → `{"sha", "siblings": [{"rfilename"}]}`
/// - `HEAD /{org}/{name}/resolve/{rev}/{file}` → for LFS files (`.safetensors`, `.gguf`) a 302
///   to `/cdn/{sha256}` with `X-Linked-Etag`/`X-Linked-Size`, else 200 with `ETag` and the size;
///   always `X-Repo-Commit`
/// - `GET /{org}/{name}/resolve/...` the small files; `GET /cdn/{sha256}` the LFS ones (`Range`)
///
/// It records every request, can demand a token (401 otherwise) and can serve a corrupted copy
/// of one file (same size, other bytes) to exercise the sha256 check.
final class FakeHub: Sendable {
    static let repo = "floe-test/stories260K"
    static let commit = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stories260K")
    /// Repo file name → fixture file.
    static let files: [String: URL] = [
        "config.json": fixtures.appendingPathComponent("hf/config.json"),
        "generation_config.json": fixtures.appendingPathComponent("hf/generation_config.json"),
        "model.safetensors": fixtures.appendingPathComponent("hf/model.safetensors"),
        "tokenizer.json": fixtures.appendingPathComponent("hf/tokenizer.json"),
        "tokenizer_config.json": fixtures.appendingPathComponent("hf/tokenizer_config.json"),
        "stories260K-f32.gguf": fixtures.appendingPathComponent("gguf/stories260K-f32.gguf"),
        "README.md": fixtures.appendingPathComponent("stories260K.md"),
    ]

    struct Options: Sendable {
        var requiredToken: String?
        var corruptedFile: String?
    }

    let port: Int
    private let recorder: Recorder
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func isLFS(_ file: String) -> Bool { file.hasSuffix(".safetensors") || file.hasSuffix(".gguf") }

    static func contents(_ file: String) throws -> Data { try Data(contentsOf: files[file]!) }

    private init(port: Int, recorder: Recorder, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.recorder = recorder
        self.group = group
        self.task = task
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Every request so far, as `METHOD path [range]`.
    var requests: [String] { recorder.log.withLock { $0 } }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    static func start(_ options: Options = Options()) async throws -> FakeHub {
        let recorder = Recorder()
        let router = Router()
        router.add(middleware: RecordingMiddleware(recorder: recorder, requiredToken: options.requiredToken))
        // sha256 of each LFS file, as the hub reports it.
        var sha = [String: String]()
        for (name, _) in files where isLFS(name) { sha[name] = try SHA256.hex(of: contents(name)) }
        let digests = sha
        router.get("/api/models/:org/:name/revision/:rev") { _, context -> Response in
            let repo = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
            guard repo == Self.repo else { return Self.notFound }
            let siblings = files.keys.sorted().map { ["rfilename": $0] }
            let body = try JSONSerialization.data(withJSONObject: ["id": repo, "sha": commit, "siblings": siblings] as [String: Any])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.head("/:org/:name/resolve/:rev/:file") { _, context -> Response in
            let port = recorder.port.withLock { $0 }
            let repo = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
            guard repo == Self.repo, let file = context.parameters.get("file"), files[file] != nil else { return Self.notFound }
            let data = try contents(file)
            var headers: HTTPFields = [FieldName("X-Repo-Commit")!: commit]
            if let digest = digests[file] {
                headers[FieldName("X-Linked-Etag")!] = "\"\(digest)\""
                headers[FieldName("X-Linked-Size")!] = String(data.count)
                headers[.location] = "http://127.0.0.1:\(port)/cdn/\(digest)"
                return Response(status: .found, headers: headers)
            }
            // A git blob id stands in for the etag of a small file (40 hex digits).
            headers[.eTag] = "W/\"\(String(SHA256.hex(of: data).prefix(40)))\""
            // A HEAD answer: the size of the body a GET would bring, and no body.
            headers[.contentLength] = String(data.count)
            return Response(status: .ok, headers: headers, body: .init())
        }
        router.get("/:org/:name/resolve/:rev/:file") { _, context -> Response in
            guard let file = context.parameters.get("file"), files[file] != nil, !isLFS(file) else { return Self.notFound }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: try contents(file))))
        }
        router.get("/cdn/:digest") { request, context -> Response in
            guard let file = digests.first(where: { $0.value == context.parameters.get("digest") })?.key else { return Self.notFound }
            var data = try contents(file)
            if file == options.corruptedFile { data[data.count / 2] ^= 0xFF }
            if let range = request.headers[.range], range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).dropLast()) {
                guard start < data.count else { return Response(status: .rangeNotSatisfiable) }
                let headers: HTTPFields = [.contentRange: "bytes \(start)-\(data.count - 1)/\(data.count)"]
                return Response(
                    status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data[start...])))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "fake-hub"))
        let group = ServiceGroup(services: [app], logger: Logger(label: "fake-hub"))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        recorder.port.withLock { $0 = port }
        return FakeHub(port: port, recorder: recorder, group: group, task: task)
    }

    static var notFound: Response {
        Response(
            status: .notFound, headers: [FieldName("X-Error-Code")!: "RepoNotFound"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"Repository Not Found\"}")))
    }
}

final class Recorder: Sendable {
    let log = Mutex<[String]>([])
    let port = Mutex<Int>(0)
}

/// Records each request and enforces the token.
struct RecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let recorder: Recorder
    let requiredToken: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let range = request.headers[.range].map { " \($0)" } ?? ""
        recorder.log.withLock { $0.append("\(request.method) \(request.uri.path)\(range)") }
        if let requiredToken, !request.uri.path.hasPrefix("/cdn/"), request.headers[.authorization] != "Bearer \(requiredToken)" {
            return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"Invalid credentials\"}")))
        }
        return try await next(request, context)
    }
}

/// Header names (`HTTPField` itself is not re-exported by Hummingbird).
typealias FieldName = HTTPFields.Element.Name
