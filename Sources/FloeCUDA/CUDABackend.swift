import CFloeCUDA
import FloeTensor
import Foundation

/// The `Backend` on an NVIDIA GPU: f32 activations, 16-bit weights (bf16 by default, f16 on
/// request; quantized GGUF weights are dequantized at upload), a bf16 paged KV cache, NVRTC
/// kernels and cuBLASLt GEMMs. Every op is issued asynchronously on one stream; only read-backs
/// and `synchronize` wait. A backend is driven by one thread at a time; to run a model from
/// several threads at once, give each its own `init(sharingWeightsWith:)` sibling.
///
/// `upload` is for weights: floating-point matrices (rank ≥ 2) become `weightDType` (bf16 by
/// default; f32 on request, for exact checks of small models), vectors
/// (norm weights, biases, frequencies) stay f32.
public final class CUDABackend: Backend, @unchecked Sendable {
    public let device: CUDADevice
    public let weightDType: DType
    public var name: String { "cuda:\(device.ordinal) (\(device.name))" }
    public var kvCacheDType: DType { .bf16 }

    let driver: FloeCUDADriver
    let allocator: CUDAAllocator
    let staging: PinnedStaging
    let module: CUDAModule
    /// The compiled kernels, kept so a sibling backend loads its own module without NVRTC.
    let cubin: [UInt8]
    let matmul: CublasLtMatmul?
    /// Grown on demand and reused: 16-bit copies of GEMM inputs, attention partials, indices.
    var scratch: [String: Storage] = [:]
    var attentionMetadata: DeviceAttentionMetadata?
    /// The buffer of fixed-layout attention metadata (recorded graphs read it), and how many
    /// times it was replaced: a graph recorded before a replacement must not be replayed.
    var fixedMetadata: Storage? {
        didSet { fixedMetadataGeneration += 1 }
    }
    private(set) var fixedMetadataGeneration = 0
    /// Storages handed out while a graph is recorded, which it must keep alive.
    var recordingStorages: [Storage]?
    /// Whether decode steps are recorded as CUDA graphs and replayed (`--enforce-eager` clears it).
    public var recordsStepGraphs = true
    /// How many recorded steps were replayed (`floe cuda-check` checks that graphs ran).
    public internal(set) var stepGraphReplays = 0
    var encoderFlashTileCache: EncoderFlashTiles?
    /// The latest 16-bit copy a producer wrote of its f32 output for the GEMM after it
    /// (CUDABackend+GEMMInput); usable only while nothing else has run on the stream.
    var gemmInputCopy: GEMMInputCopy?
    /// How many f32 → 16-bit conversion passes GEMM inputs have needed (`floe cuda-check`
    /// checks that a consumer of a producer's copy launches none).
    public internal(set) var gemmInputConversions = 0
    /// Kernel choices (`CUDATuning`, from the environment).
    let tuning: CUDATuning
    /// Batches of up to this many tokens use the GEMV kernel, larger ones cuBLASLt.
    public var gemvMaxTokens: Int { tuning.gemvMaxTokens }
    /// How many batched pair calls ran (`floe cuda-check` checks that a pairable one did).
    public internal(set) var pairedGEMMCalls = 0
    /// Stacked projections run as one GEMM (`linears` over `uploadStacked` weights), for checks.
    public internal(set) var stackedGEMMCalls = 0
    /// Kernels already allowed more than 48 KiB of dynamic shared memory.
    var sharedMemoryOptIns: Set<String> = []

    public init(ordinal: Int = 0, weightDType: DType = .bf16, kernelCacheFolder: String? = KernelCompiler.defaultCacheFolder) throws {
        guard [.bf16, .f16, .f32].contains(weightDType) else {
            throw CUDAError("CUDA weights must be bfloat16, float16 or float32, not \(weightDType)")
        }
        let device = try CUDADevice(ordinal: ordinal)
        let allocator = CUDAAllocator(device: device)
        self.device = device
        driver = device.driver
        self.weightDType = weightDType
        self.allocator = allocator
        tuning = CUDATuning.fromEnvironment()
        staging = try PinnedStaging(device: device)
        let compiler = KernelCompiler(nvrtc: device.libraries.nvrtc, cacheFolder: kernelCacheFolder)
        cubin = try compiler.compile(KernelSource.all, architecture: device.architecture)
        module = try CUDAModule(device: device, cubin: cubin)
        module.dependentLaunches = tuning.dependentLaunches && device.supportsDependentLaunch
        matmul = try device.libraries.cublasLt.map { try CublasLtMatmul(lt: $0, device: device, allocator: allocator) }
    }

    /// A second backend on `original`'s GPU and context that can run `original`'s uploaded
    /// weights (so a model replica needs no second copy of them) while issuing its work on a
    /// stream of its own, so two threads each driving one backend keep the GPU busy together.
    ///
    /// Everything that is per-stream or unsynchronized is its own: the stream, the allocator
    /// (a block freed on one stream could otherwise be handed to the other while kernels still
    /// queued on the first read it), scratch, pinned staging, the kernel module's function
    /// table and the cuBLASLt handle, plans and workspace. Weight tensors must come from
    /// `original` (or another sibling) and outlive their users.
    public init(sharingWeightsWith original: CUDABackend) throws {
        let device = try CUDADevice(sharingContextOf: original.device)
        let allocator = CUDAAllocator(device: device)
        self.device = device
        driver = device.driver
        weightDType = original.weightDType
        self.allocator = allocator
        tuning = original.tuning
        recordsStepGraphs = original.recordsStepGraphs
        staging = try PinnedStaging(device: device)
        cubin = original.cubin
        module = try CUDAModule(device: device, cubin: cubin)
        module.dependentLaunches = tuning.dependentLaunches && device.supportsDependentLaunch
        matmul = try device.libraries.cublasLt.map { try CublasLtMatmul(lt: $0, device: device, allocator: allocator) }
    }

    // MARK: Memory

    public func allocate(_ shape: Shape, dtype: DType) -> Tensor {
        guard let bytes = dtype.byteCount(elements: shape.elementCount) else { fatalError("shape \(shape) is not whole \(dtype) blocks") }
        // A block reused from the allocator's cache makes no driver call that would bind the
        // context, and the memset below needs it on this thread (the embedding engine's own).
        device.bind()
        let storage = deviceStorage(bytes: bytes)
        device.noteStreamWork()
        cudaRequire(driver.cuMemsetD8Async(storage.deviceAddress, 0, max(bytes, 1), device.stream), driver, "zero-filling \(bytes) bytes")
        return Tensor(storage: storage, shape: shape, dtype: dtype)
    }

    func deviceStorage(bytes: Int) -> Storage {
        let storage: Storage
        do { storage = try allocator.allocate(bytes: bytes) } catch { fatalError("\(error)") }
        recordingStorages?.append(storage)
        return storage
    }

    public func upload(_ host: Tensor) -> Tensor {
        precondition(host.location == .host, "upload of a tensor that is already on \(host.location)")
        device.bind()
        let target: DType
        if host.dtype == .i32 {
            target = .i32
        } else if host.shape.rank >= 2 {
            target = weightDType
        } else {
            target = .f32
        }
        let device = allocate(host.shape, dtype: target)
        copy(host, into: device)
        return device
    }

    /// Weight matrices back to back in the weights' dtype: `linears` multiplies Q, K and V
    /// stored this way as one GEMM.
    public func uploadStacked(_ hosts: [Tensor]) -> [Tensor] {
        guard tuning.stackedWeights, hosts.count > 1, hosts.allSatisfy({ $0.location == .host && $0.shape.rank == 2 && $0.dtype != .i32 && $0.shape.last == hosts[0].shape.last })
        else { return hosts.map(upload) }
        device.bind()
        let stacked = allocate([hosts.reduce(0) { $0 + $1.shape.rowCount }, hosts[0].shape.last], dtype: weightDType)
        var offset = stacked.byteOffset
        return hosts.map { host in
            let part = Tensor(storage: stacked.storage, shape: host.shape, dtype: weightDType, byteOffset: offset)
            copy(host, into: part)
            offset += part.byteCount
            return part
        }
    }

    /// `host`'s values into the device tensor `device` (same shape), converted to its dtype.
    private func copy(_ host: Tensor, into device: Tensor) {
        if host.dtype == device.dtype {
            copyToDevice(host.address, bytes: host.byteCount, destination: device.deviceAddress)
        } else {
            let converted = HostConversion.convert(host, to: device.dtype)
            converted.withUnsafeBytes { copyToDevice($0.baseAddress!, bytes: $0.count, destination: device.deviceAddress) }
        }
    }

    /// A synchronous copy from pageable memory, for bulk data (weights) that bypasses staging.
    private func copyToDevice(_ source: UnsafeRawPointer, bytes: Int, destination: CUdeviceptr) {
        device.noteStreamWork()
        cudaRequire(driver.cuMemcpyHtoDAsync(destination, source, bytes, device.stream), driver, "copying \(bytes) bytes to the GPU")
        cudaRequire(driver.cuStreamSynchronize(device.stream), driver, "copying \(bytes) bytes to the GPU")
        staging.streamDidSynchronize()
    }

    public func readFloats(_ tensor: Tensor) -> [Float] {
        precondition(tensor.dtype == .f32, "readFloats of a \(tensor.dtype) tensor")
        device.bind()
        var values = [Float](repeating: 0, count: tensor.elementCount)
        values.withUnsafeMutableBytes { staging.download(from: tensor.deviceAddress, bytes: $0.count, into: $0.baseAddress!) }
        return values
    }

    /// The raw bytes of any device tensor (tests and checks).
    public func readBytes(_ tensor: Tensor) -> [UInt8] {
        device.bind()
        var bytes = [UInt8](repeating: 0, count: tensor.byteCount)
        bytes.withUnsafeMutableBytes { staging.download(from: tensor.deviceAddress, bytes: $0.count, into: $0.baseAddress!) }
        return bytes
    }

    public func write(_ values: [Float], into tensor: Tensor) {
        precondition(tensor.dtype == .f32 && values.count <= tensor.elementCount, "write of \(values.count) floats into \(tensor.dtype) \(tensor.shape)")
        device.bind()
        values.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: tensor.deviceAddress) }
    }

    public func write(_ values: [Int32], into tensor: Tensor) {
        precondition(tensor.dtype == .i32 && values.count <= tensor.elementCount, "write of \(values.count) ints into \(tensor.dtype) \(tensor.shape)")
        device.bind()
        values.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: tensor.deviceAddress) }
    }

    public func synchronize() {
        device.bind()
        cudaRequire(driver.cuStreamSynchronize(device.stream), driver, "synchronize")
        staging.streamDidSynchronize()
    }

    /// A device buffer of at least `bytes` for `purpose`, reused across calls.
    func scratchBuffer(_ purpose: String, bytes: Int) -> Storage {
        if let existing = scratch[purpose], existing.byteCount >= bytes {
            recordingStorages?.append(existing)
            return existing
        }
        let grown = deviceStorage(bytes: max(bytes, (scratch[purpose]?.byteCount ?? 0) * 2))
        scratch[purpose] = grown
        return grown
    }

    /// Uploads host int32 values into a scratch buffer and returns its device address.
    /// `values` in a buffer of their own, for tables that stay valid across many ops (a step's
    /// attention metadata, a batch's tile table): a fresh buffer each time, because kernels
    /// still queued may read the previous one.
    func uploadToNewBuffer(_ values: [Int32]) -> Storage {
        let buffer = deviceStorage(bytes: max(values.count, 1) * 4)
        if !values.isEmpty { values.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: buffer.deviceAddress) } }
        return buffer
    }

    func uploadIndices(_ values: [Int32], purpose: String) -> CUdeviceptr {
        let buffer = scratchBuffer(purpose, bytes: max(values.count, 1) * 4)
        values.withUnsafeBytes { staging.upload($0.baseAddress!, bytes: $0.count, to: buffer.deviceAddress) }
        return buffer.deviceAddress
    }
}

extension Tensor {
    /// The device address of a tensor on a CUDA device.
    var deviceAddress: CUdeviceptr { CUdeviceptr(UInt(bitPattern: address)) }
}

extension Storage {
    var deviceAddress: CUdeviceptr { CUdeviceptr(UInt(bitPattern: address)) }
}

extension CUDABackend: DeviceMemoryReporting {
    public func deviceMemory() throws -> (free: Int, total: Int) {
        synchronize()
        allocator.releaseCached()
        return try device.memoryInfo()
    }
}
