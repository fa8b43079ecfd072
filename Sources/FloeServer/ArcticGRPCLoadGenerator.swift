import FloeGRPC
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// A load generator for Arctic's gRPC `InferenceService` (`floe bench-embed --grpc`): sends
/// `Encode` requests over several HTTP/2 connections with a fixed number in flight, as Arctic's
/// embedding benchmark client does, and checks every response (no error, one embedding per
/// prompt, `embedding_dim` floats each).
public struct ArcticGRPCLoadGenerator: Sendable {
    public let host: String
    public let port: Int
    public let connections: Int
    public let concurrency: Int

    public init(host: String, port: Int, connections: Int, concurrency: Int) {
        self.host = host
        self.port = port
        self.connections = max(1, connections)
        self.concurrency = max(1, concurrency)
    }

    /// Sends every request (one `Encode` per prompt list) and returns the embeddings received.
    public func send(_ requests: [[String]], modelName: String = "") async throws -> Int {
        let next = RequestCounter()
        let connections = min(self.connections, concurrency), concurrency = self.concurrency
        let host = host, port = port
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for connection in 0..<connections {
                // Spread the in-flight requests evenly over the connections.
                let share = concurrency / connections + (connection < concurrency % connections ? 1 : 0)
                group.addTask {
                    let transport = try HTTP2ClientTransport.Posix(target: .ipv4(host: host, port: port), transportSecurity: .plaintext)
                    return try await withGRPCClient(transport: transport) { client in
                        let service = ArcticInference_InferenceService.Client(wrapping: client)
                        return try await withThrowingTaskGroup(of: Int.self) { workers in
                            for _ in 0..<share {
                                workers.addTask {
                                    var received = 0
                                    while let index = next.take(below: requests.count) {
                                        received += try await Self.encode(requests[index], index: index, modelName: modelName, service: service)
                                    }
                                    return received
                                }
                            }
                            return try await workers.reduce(0, +)
                        }
                    }
                }
            }
            return try await group.reduce(0, +)
        }
    }

    static func encode<Transport: ClientTransport>(
        _ prompts: [String], index: Int, modelName: String, service: ArcticInference_InferenceService.Client<Transport>
    ) async throws -> Int {
        var message = ArcticInference_EncodeRequest()
        message.requestID = "bench-\(index)"
        message.nPrompts = Int32(prompts.count)
        message.prompts = prompts
        message.modelName = modelName
        let response = try await service.encode(message)
        guard response.error.isEmpty else { throw LoadGeneratorError("request \(index): the server answered '\(response.error)'") }
        let bytes = Int(response.embeddingDim) * 4
        guard response.embeddingBytesFp32.count == prompts.count, bytes > 0, response.embeddingBytesFp32.allSatisfy({ $0.count == bytes }) else {
            throw LoadGeneratorError(
                "request \(index): \(response.embeddingBytesFp32.count) embeddings of dim \(response.embeddingDim) for \(prompts.count) prompts")
        }
        return prompts.count
    }
}

/// Hands out request indices to the workers of every connection.
private final class RequestCounter: Sendable {
    private let value = Atomic<Int>(0)

    func take(below limit: Int) -> Int? {
        let index = value.add(1, ordering: .relaxed).oldValue
        return index < limit ? index : nil
    }
}

public struct LoadGeneratorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
