import ArgumentParser
import FloeCUDA
import FloeCUDAChecks
import Foundation

/// `floe cuda-check`: every CUDA op against the CPU reference, the golden files end to end and
/// the engine's behaviour checks, on the GPU; writes a JSON report and fails if anything fails.
/// scripts/gpu-check.sh runs it on the GPU machine.
struct CUDACheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuda-check", abstract: "Check the CUDA backend against the CPU reference and the golden files.")

    @Option(help: "CUDA device ordinal.") var ordinal = 0
    @Option(name: .customLong("golden"), parsing: .upToNextOption,
        help: "MODEL=REFERENCE.json pairs (GGUF file or HF directory, and its reference file).")
    var goldens: [String] = []
    @Option(name: .customLong("f32-golden"), parsing: .upToNextOption,
        help: "MODEL=REFERENCE.json pairs checked with f32 weights (`--dtype float32`), for f32 references of small models.")
    var f32Goldens: [String] = []
    @Option(name: .customLong("embedding-model"), parsing: .upToNextOption,
        help: "DIR=REFERENCE.json pairs: an embedding model folder and sentence-transformers embeddings, checked with bf16 and f16 weights.")
    var embeddingModels: [String] = []
    @Option(name: .customLong("engine-model"), help: "Model for the engine behaviour checks (SmolLM2 GGUF).")
    var engineModel: String?
    @Option(help: "Write the report as JSON here.") var json: String?

    func run() async throws {
        let backend = try CUDABackend(ordinal: ordinal)
        var checks = OpChecks(gpu: backend, report: CheckReport(device: backend.name))
        var report = checks.run()
        let f32Backend = f32Goldens.isEmpty ? nil : try CUDABackend(ordinal: ordinal, weightDType: .f32)
        for (pair, modelBackend) in goldens.map({ ($0, backend) }) + f32Goldens.map({ ($0, f32Backend!) }) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--golden expects MODEL=REFERENCE.json, got '\(pair)'") }
            ModelChecks.run(modelPath: parts[0], referencePath: parts[1], backend: modelBackend, report: &report)
        }
        let f16Backend = embeddingModels.isEmpty ? nil : try CUDABackend(ordinal: ordinal, weightDType: .f16)
        for pair in embeddingModels {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--embedding-model expects DIR=REFERENCE.json, got '\(pair)'") }
            for modelBackend in [backend, f16Backend!] {
                EmbeddingModelChecks.run(modelPath: parts[0], referencePath: parts[1], backend: modelBackend, report: &report)
            }
            await EmbeddingModelChecks.runInstances(modelPath: parts[0], referencePath: parts[1], backend: backend, report: &report)
        }
        if let engineModel { await EngineChecks.run(modelPath: engineModel, backend: backend, report: &report) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        print("\(report.entries.count - report.failures.count)/\(report.entries.count) checks passed on \(report.device)")
        if !report.failures.isEmpty { throw ExitCode.failure }
    }
}
