import ArgumentParser
import FloeCPU
import FloeModels
import FloeRunner
import FloeTensor
import Foundation

/// Options every command that loads a model shares. Each is also read from an environment
/// variable (`FLOE_MODEL`, `FLOE_THREADS`), as vLLM and llama.cpp users expect.
struct ModelOptions: ParsableArguments {
    @Option(help: """
        A GGUF file, a Hugging Face model directory (config.json + safetensors), or a Hugging Face \
        repo id (org/name, or org/name:file.gguf for one GGUF file of it). [env: FLOE_MODEL]
        """)
    var model: String = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "Branch, tag or commit of a Hugging Face repo id (main). [env: FLOE_REVISION]")
    var revision: String?

    @Option(name: .customLong("gguf-file"), help: "The GGUF file to take from a Hugging Face repo id. [env: FLOE_GGUF_FILE]")
    var ggufFile: String?

    @Option(help: "CPU threads (default: all cores). [env: FLOE_THREADS]")
    var threads: Int?

    @OptionGroup var deviceOptions: DeviceOptions

    var resolvedThreads: Int {
        threads ?? ProcessInfo.processInfo.environment["FLOE_THREADS"].flatMap(Int.init)
            ?? ProcessInfo.processInfo.activeProcessorCount
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The model as a local path, downloading a Hub repo id first.
    func localPath() async throws -> String {
        let env = ProcessInfo.processInfo.environment
        return try await ModelSource.localPath(
            for: model, revision: revision ?? env["FLOE_REVISION"], ggufFile: ggufFile ?? env["FLOE_GGUF_FILE"])
    }

    func load(path: String) throws -> LoadedModel {
        try ModelLoader.load(path: path, backend: makeBackend())
    }

    /// Loads a local model (commands that do not download).
    func load() throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError(
                "model not found at '\(model)'. Fetch the default one with scripts/fetch-model.sh smollm2-135m")
        }
        return try load(path: model)
    }

    func makeBackend() throws -> any Backend {
        try deviceOptions.makeBackend(threads: resolvedThreads)
    }
}
