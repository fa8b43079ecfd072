import ArgumentParser
import FloeCPU
import FloeCUDA
import FloeTensor
import Foundation

/// Where a model runs, with vLLM's flag names: `--device cpu|cuda[:N]`, `--dtype`,
/// `--gpu-memory-utilization`. Each is also read from `FLOE_DEVICE`, `FLOE_DTYPE`,
/// `FLOE_GPU_MEMORY_UTILIZATION`.
struct DeviceOptions: ParsableArguments {
    @Option(help: "cpu, cuda or cuda:N (default: cpu). [env: FLOE_DEVICE]")
    var device: String?

    @Option(help: "Weight type on a GPU: auto (= bfloat16), bfloat16, float16 or float32; the CPU runs the file's types (auto). [env: FLOE_DTYPE]")
    var dtype: String?

    @Option(name: .customLong("gpu-memory-utilization"),
        help: "Share of GPU memory for weights, activations and KV cache (0.9); sizes the KV cache on CUDA. [env: FLOE_GPU_MEMORY_UTILIZATION]")
    var gpuMemoryUtilization: Double?

    @Flag(name: .customLong("enforce-eager"),
        help: "Run every step op by op on CUDA instead of replaying decode steps from recorded CUDA graphs. [env: FLOE_ENFORCE_EAGER=1]")
    var enforceEager = false

    enum Device: Equatable { case cpu, cuda(Int) }

    var resolvedDevice: Device {
        get throws {
            let text = (device ?? ProcessInfo.processInfo.environment["FLOE_DEVICE"] ?? "cpu").lowercased()
            if text == "cpu" { return .cpu }
            if text == "cuda" || text == "gpu" { return .cuda(0) }
            if text.hasPrefix("cuda:"), let ordinal = Int(text.dropFirst(5)), ordinal >= 0 { return .cuda(ordinal) }
            throw ValidationError("--device '\(text)' is not cpu, cuda or cuda:N")
        }
    }

    var resolvedUtilization: Double? {
        get throws {
            guard let value = gpuMemoryUtilization ?? ProcessInfo.processInfo.environment["FLOE_GPU_MEMORY_UTILIZATION"].flatMap(Double.init) else {
                return nil
            }
            guard value > 0, value <= 1 else { throw ValidationError("--gpu-memory-utilization must be in (0, 1], got \(value)") }
            return value
        }
    }

    func validate() throws {
        _ = try resolvedDevice
        _ = try resolvedUtilization
    }

    /// The backend for these options; `threads` applies to the CPU.
    func makeBackend(threads: Int) throws -> any Backend {
        let dtypeText = (dtype ?? ProcessInfo.processInfo.environment["FLOE_DTYPE"] ?? "auto").lowercased()
        switch try resolvedDevice {
        case .cpu:
            guard ["auto", "float32", "float", "fp32"].contains(dtypeText) else {
                throw ValidationError("--dtype \(dtypeText) is not supported on the CPU (weights run in their stored types; use auto or float32)")
            }
            return CPUBackend(threads: threads)
        case .cuda(let ordinal):
            let weightType: DType
            switch dtypeText {
            case "auto", "bfloat16", "bf16": weightType = .bf16
            case "float16", "half", "fp16": weightType = .f16
            case "float32", "float", "fp32": weightType = .f32
            default: throw ValidationError("--dtype \(dtypeText) is not supported on CUDA (use auto, bfloat16, float16 or float32)")
            }
            do {
                let backend = try CUDABackend(ordinal: ordinal, weightDType: weightType)
                backend.recordsStepGraphs = !(enforceEager || ProcessInfo.processInfo.environment["FLOE_ENFORCE_EAGER"] == "1")
                return backend
            } catch {
                throw ValidationError("--device cuda:\(ordinal): \(error)")
            }
        }
    }

    /// The backend for an embedding model (BERT-family encoder) on these options' device.
    func makeEncoderBackend(threads: Int) throws -> any EncoderBackend {
        let backend = try makeBackend(threads: threads)
        guard let encoder = backend as? any EncoderBackend else {
            throw ValidationError("\(backend.name) cannot run embedding models")
        }
        return encoder
    }

    /// Tokens in one embedding forward pass unless `--max-num-batched-tokens` says otherwise: a
    /// GPU needs large batches to keep its tensor cores busy (BERT-base at 32k tokens is about
    /// 1 GB of activations); the CPU gains nothing past a few thousand.
    var defaultEmbeddingBatchTokens: Int {
        get throws {
            if case .cuda = try resolvedDevice { return 32768 }
            return 8192
        }
    }

    /// The step token budget (`--max-num-batched-tokens`) when none is given, as vLLM picks it:
    /// 8192 on a GPU of at least 70 GiB (its server's default there; steps with more prompt
    /// tokens run their GEMMs nearer the card's peak: 64 requests of 128 + 128 tokens made
    /// 7,142-7,193 output tokens/s against 6,958-7,094 with 2048 on an H100), 2048 elsewhere.
    static func defaultMaxNumBatchedTokens(for backend: any Backend) -> Int {
        if let cuda = backend as? CUDABackend, let total = try? cuda.device.memoryInfo().total, total >= 70 << 30 { return 8192 }
        return 2048
    }

    /// The KV-cache sizing these options imply on a GPU (vLLM's default 0.9).
    func gpuMemoryUtilizationForEngine() throws -> Double? {
        if case .cuda = try resolvedDevice { return try resolvedUtilization ?? 0.9 }
        return nil
    }
}
