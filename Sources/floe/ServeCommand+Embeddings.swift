import FloeRunner
import FloeServer
import Foundation

extension ServeCommand {
    /// `floe serve` with an embedding model folder: `/v1/embeddings` on the HTTP port and, with
    /// `--grpc-port`, Arctic's gRPC `InferenceService` beside it, both over one engine.
    func serveEmbeddings(modelPath: String, config: ServerConfig, threads: Int, maxBatchTokens: Int?, grpcPort: Int?) async throws {
        let instances = try embeddingInstanceOptions.loadInstances(directory: modelPath, device: deviceOptions, threads: threads)
        let model = instances[0]
        var options = EmbeddingEngine.Options()
        options.maxBatchTokens = try maxBatchTokens ?? deviceOptions.defaultEmbeddingBatchTokens
        let engine = EmbeddingEngine(instances: instances, options: options)
        let setup = "\(EmbeddingInstanceOptions.describe(instances)), \(options.maxBatchTokens)-token batches"
        defer { engine.shutdown() }
        let name = config.servedModelNames[0]
        let grpc = grpcPort.map { ArcticGRPCServer(engine: engine, modelName: name, host: config.host, port: $0) }
        if let grpc {
            Task {
                let port = try await grpc.boundPort
                FileHandle.standardError.write(Data("floe serve: Arctic gRPC InferenceService on \(config.host):\(port)\n".utf8))
            }
        }
        let http = EmbeddingHTTPServer(engine: engine, modelPath: modelPath, config: config)
        try await http.run(alongside: grpc) { port in
            // stderr is unbuffered, so scripts waiting for this line see it at once.
            FileHandle.standardError.write(Data(
                "floe serve: embedding model \(name) on http://\(config.host):\(port) (dim \(model.dimension), max_seq_length \(model.maxInputTokens), \(setup))\n".utf8))
        }
    }
}
