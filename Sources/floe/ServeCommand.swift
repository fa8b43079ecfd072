import ArgumentParser
import FloeCPU
import FloeEngine
import FloeRunner
import FloeServer
import FloeTokenizers
import Foundation

/// `floe serve`: the OpenAI-compatible HTTP server, with vLLM's flag names. Every flag can also
/// come from an environment variable (`FLOE_` + the flag in upper snake case), which container
/// deployments rely on; a flag on the command line wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve a model over an OpenAI-compatible HTTP API (like `vllm serve`).")

    @Argument(help: ArgumentHelp(
        "A GGUF file, a Hugging Face model directory, or a Hugging Face repo id (org/name, or org/name:file.gguf), "
            + "downloaded into the HF cache (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE apply). [env: FLOE_MODEL]",
        valueName: "model"))
    var positionalModel: String?
    @Option(help: "Same as the positional MODEL.") var model: String?
    @Option(help: "Branch, tag or commit of a Hugging Face repo id (main). [env: FLOE_REVISION]") var revision: String?
    @Option(name: .customLong("gguf-file"), help: "The GGUF file to take from a Hugging Face repo id. [env: FLOE_GGUF_FILE]")
    var ggufFile: String?
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Address to bind. [env: FLOE_HOST]") var host: String?
    @Option(help: "Port to listen on. [env: FLOE_PORT]") var port: Int?
    @Option(name: .customLong("served-model-name"), parsing: .upToNextOption,
        help: "Model name(s) clients use; default: the model path. [env: FLOE_SERVED_MODEL_NAME]")
    var servedModelNames: [String] = []
    @Option(name: .customLong("max-model-len"), help: "Context length; default: the model's. [env: FLOE_MAX_MODEL_LEN]")
    var maxModelLen: Int?
    @Option(name: .customLong("max-num-seqs"), help: "Most requests in one batch (256). [env: FLOE_MAX_NUM_SEQS]")
    var maxNumSeqs: Int?
    @Option(name: .customLong("max-num-batched-tokens"), help: "Token budget of one step (8192 on GPUs of 70 GiB or more, else 2048; embedding models: 32768 on GPUs, 8192 on the CPU). [env: FLOE_MAX_NUM_BATCHED_TOKENS]")
    var maxNumBatchedTokens: Int?
    @Flag(name: .customLong("enable-prefix-caching"), inversion: .prefixedNo,
        help: "Prefix caching (on). [env: FLOE_ENABLE_PREFIX_CACHING=0/1]")
    var prefixCaching: Bool?
    @Option(name: .customLong("api-key"), help: "Require `Authorization: Bearer KEY` on /v1. [env: FLOE_API_KEY]")
    var apiKey: String?
    @Option(name: .customLong("chat-template"), help: "Jinja chat template file replacing the model's. [env: FLOE_CHAT_TEMPLATE]")
    var chatTemplate: String?
    @Option(name: .customLong("kv-cache-memory"), help: "KV-cache bytes (512 MiB). [env: FLOE_KV_CACHE_MEMORY]")
    var kvCacheMemory: Int?
    @Option(name: .customLong("max-waiting-requests"),
        help: "Requests allowed to queue beyond --max-num-seqs; more get 429 (unbounded). [env: FLOE_MAX_WAITING_REQUESTS]")
    var maxWaitingRequests: Int?
    @Option(help: "CPU threads (all cores). [env: FLOE_THREADS]") var threads: Int?
    @Option(help: "Seed for requests without one. [env: FLOE_SEED]") var seed: UInt64?
    @Option(name: .customLong("grpc-port"),
        help: "Embedding models: also serve Arctic's gRPC InferenceService on this port. [env: FLOE_GRPC_PORT]")
    var grpcPort: Int?
    @OptionGroup var embeddingInstanceOptions: EmbeddingInstanceOptions

    // Accepted so vLLM command lines fail clearly instead of with "unknown option".
    @Option(name: .customLong("tensor-parallel-size"), help: "Only 1 (not built yet).") var tensorParallelSize: Int?
    @Option(name: .customLong("speculative-config"),
        help: #"Speculative decoding as JSON with Arctic's keys, e.g. '{"method": "suffix"}'. [env: FLOE_SPECULATIVE_CONFIG]"#)
    var speculativeConfig: String?
    @Flag(name: .customLong("enable-shift-parallel"), help: "Rejected (not built yet).") var enableShiftParallel = false
    @Option(name: .customLong("ulysses-sequence-parallel-size"), help: "Only 1 (not built yet).")
    var ulyssesSequenceParallelSize: Int?

    func validate() throws {
        if let size = tensorParallelSize, size > 1 {
            throw ValidationError("--tensor-parallel-size \(size): tensor parallelism is not supported by floe serve yet")
        }
        if enableShiftParallel { throw ValidationError("--enable-shift-parallel is not supported yet") }
        if let size = ulyssesSequenceParallelSize, size > 1 {
            throw ValidationError("--ulysses-sequence-parallel-size \(size): sequence parallelism is not supported yet")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let maxWaitingRequests, maxWaitingRequests < 0 {
            throw ValidationError("--max-waiting-requests must be >= 0, got \(maxWaitingRequests)")
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func int(_ name: String) throws -> Int? {
            guard let raw = env[name] else { return nil }
            guard let value = Int(raw) else { throw ValidationError("\(name)=\(raw) is not an integer") }
            return value
        }
        guard let modelName = positionalModel ?? model ?? env["FLOE_MODEL"] else {
            throw ValidationError("no model: pass MODEL (a .gguf file, an HF directory or an HF repo id) or set FLOE_MODEL")
        }
        let modelPath = try await ModelSource.localPath(
            for: modelName, revision: revision ?? env["FLOE_REVISION"], ggufFile: ggufFile ?? env["FLOE_GGUF_FILE"])
        let envPrefixCaching = env["FLOE_ENABLE_PREFIX_CACHING"].map { ["1", "true", "yes"].contains($0.lowercased()) }
        var options = EngineOptions()
        options.gpuMemoryUtilization = try deviceOptions.gpuMemoryUtilizationForEngine()
        options.maxModelLen = try maxModelLen ?? int("FLOE_MAX_MODEL_LEN")
        options.maxNumSeqs = try maxNumSeqs ?? int("FLOE_MAX_NUM_SEQS") ?? options.maxNumSeqs
        let stepTokens = try maxNumBatchedTokens ?? int("FLOE_MAX_NUM_BATCHED_TOKENS")
        options.enablesPrefixCaching = prefixCaching ?? envPrefixCaching ?? true
        options.kvCacheBytes = try kvCacheMemory ?? int("FLOE_KV_CACHE_MEMORY") ?? options.kvCacheBytes
        let threadCount = try threads ?? int("FLOE_THREADS") ?? ProcessInfo.processInfo.activeProcessorCount
        if let json = speculativeConfig ?? env["FLOE_SPECULATIVE_CONFIG"] {
            do { options.speculative = try SpeculativeConfig(json: json) } catch {
                throw ValidationError("--speculative-config: \(error)")
            }
        }

        let templatePath = chatTemplate ?? env["FLOE_CHAT_TEMPLATE"]
        let template = try templatePath.map { try ChatTemplate(String(contentsOfFile: $0, encoding: .utf8)) }
        let names = !servedModelNames.isEmpty ? servedModelNames
            : env["FLOE_SERVED_MODEL_NAME"].map { $0.split(separator: ",").map(String.init) } ?? [modelName]
        let config = ServerConfig(
            host: host ?? env["FLOE_HOST"] ?? "0.0.0.0", port: try port ?? int("FLOE_PORT") ?? 8000,
            servedModelNames: names, apiKey: apiKey ?? env["FLOE_API_KEY"],
            maxWaitingRequests: try maxWaitingRequests ?? int("FLOE_MAX_WAITING_REQUESTS"), chatTemplate: template,
            seed: try seed ?? int("FLOE_SEED").map { UInt64(bitPattern: Int64($0)) })

        if EmbeddingModel.isEmbeddingModel(path: modelPath) {
            return try await serveEmbeddings(
                modelPath: modelPath, config: config, threads: threadCount,
                maxBatchTokens: stepTokens,
                grpcPort: try grpcPort ?? int("FLOE_GRPC_PORT"))
        }
        let backend = try deviceOptions.makeBackend(threads: threadCount)
        options.maxNumBatchedTokens = stepTokens ?? DeviceOptions.defaultMaxNumBatchedTokens(for: backend)
        let llm = try LLM(model: modelPath, backend: backend, options: options)
        let server = FloeHTTPServer(llm: llm, modelPath: modelPath, config: config)
        try await server.run { port in
            // stderr is unbuffered, so scripts waiting for this line see it at once.
            FileHandle.standardError.write(Data(
                "floe serve: \(names[0]) on http://\(config.host):\(port) (max_model_len \(llm.engine.config.maxModelLen), \(backend.name))\n".utf8))
        }
        llm.engine.shutDown()
    }
}
