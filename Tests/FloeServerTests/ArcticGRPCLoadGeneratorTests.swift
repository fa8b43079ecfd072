import FloeCPU
import FloeRunner
import FloeServer
import Foundation
import Testing

/// `floe bench-embed --grpc`'s client against the real gRPC server over loopback: every request
/// is sent once and its embeddings counted; a response carrying an error fails the run with the
/// server's message.
@Suite struct ArcticGRPCLoadGeneratorTests {
    static var miniLM: String? {
        let directory = ProcessInfo.processInfo.environment["FLOE_MODELS_DIR"] ?? TestServer.repository.appendingPathComponent("models").path
        let path = (directory as NSString).appendingPathComponent("all-MiniLM-L6-v2")
        return FileManager.default.fileExists(atPath: path + "/model.safetensors") ? path : nil
    }

    @Test func sendsEveryRequestOnceAndChecksTheResponses() async throws {
        let path = try #require(Self.miniLM, "all-MiniLM-L6-v2 is missing: run scripts/fetch-model.sh minilm")
        let engine = EmbeddingEngine(model: try EmbeddingModel.load(directory: path, backend: CPUBackend(threads: 2)))
        defer { engine.shutdown() }
        let server = ArcticGRPCServer(engine: engine, modelName: "minilm", host: "127.0.0.1", port: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try await server.boundPort
            // More requests than workers, over more connections than one, of uneven sizes.
            let generator = ArcticGRPCLoadGenerator(host: "127.0.0.1", port: port, connections: 2, concurrency: 3)
            let requests = (0..<7).map { request in (0...(request % 3)).map { "request \(request) prompt \($0)" } }
            #expect(try await generator.send(requests, modelName: "minilm") == requests.reduce(0) { $0 + $1.count })
            await #expect {
                try await generator.send([["hello"]], modelName: "another-model")
            } throws: { error in
                "\(error)".contains("Expected model name minilm")
            }
            server.shutDown()
            try await group.waitForAll()
        }
    }
}
