import ArgumentParser
import FloeCPU
import FloeCUDA
import FloeRunner
import FloeTensor
import Foundation

/// `--embedding-instances N` (`FLOE_EMBEDDING_INSTANCES`): how many copies of an embedding
/// model run at once, each on its own model thread (`EmbeddingEngine`). On CUDA every instance
/// has its own stream over the one set of uploaded weights, so one instance's host work
/// (packing, uploads, read-back) overlaps another's kernels; the default there is 2. On the
/// CPU the default is 1 (a forward pass already uses every core); more instances split
/// `--threads` between them.
struct EmbeddingInstanceOptions: ParsableArguments {
    @Option(name: .customLong("embedding-instances"),
        help: "Embedding model instances run at once, each with its own model thread (and CUDA stream); weights are shared (default: 2 on CUDA, 1 on the CPU). [env: FLOE_EMBEDDING_INSTANCES]")
    var embeddingInstances: Int?

    static let maximum = 16

    func validate() throws {
        _ = try requestedInstances
    }

    private var requestedInstances: Int? {
        get throws {
            let value: Int?
            if let embeddingInstances {
                value = embeddingInstances
            } else if let text = ProcessInfo.processInfo.environment["FLOE_EMBEDDING_INSTANCES"] {
                guard let parsed = Int(text) else { throw ValidationError("FLOE_EMBEDDING_INSTANCES '\(text)' is not a number") }
                value = parsed
            } else {
                value = nil
            }
            if let value, !(1...Self.maximum).contains(value) {
                throw ValidationError("--embedding-instances must be between 1 and \(Self.maximum), got \(value)")
            }
            return value
        }
    }

    /// The instance count for `device`: the option, else 2 on CUDA and 1 on the CPU.
    func instanceCount(on device: DeviceOptions) throws -> Int {
        if let requested = try requestedInstances { return requested }
        if case .cuda = try device.resolvedDevice { return 2 }
        return 1
    }

    /// Loads the model at `directory` on `device` and makes the other instances: on CUDA,
    /// replicas on sibling backends (own stream, shared weights); on the CPU, replicas on
    /// backends of `threads / instances` threads each, so instances do not fight over cores.
    func loadInstances(directory: String, device: DeviceOptions, threads: Int) throws -> [EmbeddingModel] {
        let count = try instanceCount(on: device)
        let cpuThreads = max(1, threads / count)
        let backend = try device.makeEncoderBackend(threads: cpuThreads)
        let first = try EmbeddingModel.load(directory: directory, backend: backend)
        var instances = [first]
        for _ in 1..<count {
            let sibling: any EncoderBackend
            if let cuda = backend as? CUDABackend {
                do {
                    sibling = try CUDABackend(sharingWeightsWith: cuda)
                } catch {
                    throw ValidationError("embedding instance \(instances.count + 1) on \(cuda.name): \(error)")
                }
            } else {
                sibling = CPUBackend(threads: cpuThreads)
            }
            instances.append(try first.replica(on: sibling))
        }
        return instances
    }

    /// "cuda:0 (NVIDIA H100), 2 instances" or "cpu, 2 threads".
    static func describe(_ instances: [EmbeddingModel]) -> String {
        let backend = instances[0].embedder.backend
        var text = backend.name
        if let cpu = backend as? CPUBackend { text += ", \(cpu.threads) thread\(cpu.threads == 1 ? "" : "s")" }
        if instances.count > 1 { text += (backend is CPUBackend ? " each" : "") + ", \(instances.count) instances" }
        return text
    }
}
