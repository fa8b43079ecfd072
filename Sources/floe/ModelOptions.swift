import ArgumentParser
import FloeCPU
import FloeModels
import FloeRunner
import FloeTensor
import Foundation

/// Options every command that loads a model shares. Each is also read from an environment
/// variable (`FLOE_MODEL`, `FLOE_THREADS`), as vLLM and llama.cpp users expect.
struct ModelOptions: ParsableArguments {
    @Option(help: "A GGUF file, or a Hugging Face model directory (config.json + safetensors). [env: FLOE_MODEL]")
    var model: String = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"

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

    func load() throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError(
                "model not found at '\(model)'. Fetch the default one with scripts/fetch-model.sh smollm2-135m")
        }
        return try ModelLoader.load(path: model, backend: makeBackend())
    }

    func makeBackend() throws -> any Backend {
        try deviceOptions.makeBackend(threads: resolvedThreads)
    }
}
