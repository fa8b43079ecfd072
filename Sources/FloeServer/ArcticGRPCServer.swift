import FloeRunner
import GRPCCore
import GRPCNIOTransportHTTP2

/// Arctic's gRPC `InferenceService` on its own port (`floe serve --grpc-port`), plaintext
/// HTTP/2, messages up to 200 MiB as Arctic's replica allows.
public struct ArcticGRPCServer: Sendable {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix

    /// `host` is an IPv4 or IPv6 address; port 0 picks a free one (see `boundPort`).
    public init(engine: EmbeddingEngine, modelName: String, host: String, port: Int) {
        transport = HTTP2ServerTransport.Posix(
            address: host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port),
            transportSecurity: .plaintext,
            config: .defaults { $0.rpc.maxRequestPayloadSize = 200 << 20 })
        server = GRPCServer(transport: transport, services: [ArcticInferenceService(engine: engine, modelName: modelName)])
    }

    /// Serves until `shutDown()`.
    public func serve() async throws { try await server.serve() }

    /// The port bound, once listening.
    public var boundPort: Int {
        get async throws {
            let address = try await transport.listeningAddress
            return address.ipv4?.port ?? address.ipv6?.port ?? 0
        }
    }

    /// Stops accepting RPCs; those in flight finish.
    public func shutDown() { server.beginGracefulShutdown() }
}
