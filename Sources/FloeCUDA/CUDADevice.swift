import CFloeCUDA
import Foundation

/// One GPU: its primary context, the stream every op of a backend is issued on, and its limits.
/// Several `CUDADevice`s may share one GPU's context, each with its own stream
/// (`init(sharingContextOf:)`).
public final class CUDADevice: @unchecked Sendable {
    public let ordinal: Int
    public let name: String
    public let computeCapability: (major: Int, minor: Int)
    public let multiprocessorCount: Int
    let libraries: CUDALibraries
    let driver: FloeCUDADriver
    let handle: CUdevice
    let context: CUcontext
    let stream: CUstream
    /// How many operations that write device memory (kernel launches, cuBLASLt calls, copies and
    /// fills) have been enqueued on `stream`: only ever grows. A 16-bit GEMM input copy is valid
    /// only while this is what it was right after its producer (`CUDABackend.offerGEMMInput`), so
    /// every new kind of stream operation must call `noteStreamWork()` as it is enqueued.
    private(set) var streamWork = 0
    /// Whether `stream` is being recorded into a graph (`CUDABackend.recordStepGraph`): its ops
    /// are not run, so nothing may wait for them or upload through staging memory.
    var isCapturing = false {
        didSet { captureError = nil }
    }
    /// The first failure of an operation enqueued while recording: the recording then fails
    /// with it (`CUDABackend.recordStepGraph`) instead of the process stopping.
    private(set) var captureError: String?

    public init(ordinal: Int = 0) throws {
        let libraries = try CUDALibraries.shared.get()
        let driver = libraries.driver
        self.libraries = libraries
        self.driver = driver
        self.ordinal = ordinal
        try driver.check(driver.cuInit(0), "cuInit (is an NVIDIA GPU visible to this process?)")
        var count: Int32 = 0
        try driver.check(driver.cuDeviceGetCount(&count), "cuDeviceGetCount")
        guard ordinal >= 0, ordinal < Int(count) else {
            throw CUDAError("CUDA device \(ordinal) does not exist (\(count) device\(count == 1 ? "" : "s") visible)")
        }
        var device: CUdevice = 0
        try driver.check(driver.cuDeviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        handle = device
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(driver.cuDeviceGetName(&nameBytes, 255, device), "cuDeviceGetName")
        name = String(cString: nameBytes)
        func attribute(_ id: Int32) throws -> Int {
            var value: Int32 = 0
            try driver.check(driver.cuDeviceGetAttribute(&value, id, device), "cuDeviceGetAttribute(\(id))")
            return Int(value)
        }
        computeCapability = (
            try attribute(Int32(FLOE_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)),
            try attribute(Int32(FLOE_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))
        )
        multiprocessorCount = try attribute(Int32(FLOE_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT))
        var context: CUcontext?
        try driver.check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain")
        self.context = context!
        try driver.check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        var stream: CUstream?
        try driver.check(driver.cuStreamCreate(&stream, UInt32(FLOE_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
        self.stream = stream!
    }

    /// The same GPU and primary context as `other`, with a stream of its own: work issued on
    /// the two streams may run concurrently, and memory allocated through either is usable by
    /// both (one context). The embedding engine gives each model instance one of these.
    public init(sharingContextOf other: CUDADevice) throws {
        libraries = other.libraries
        driver = other.driver
        ordinal = other.ordinal
        name = other.name
        computeCapability = other.computeCapability
        multiprocessorCount = other.multiprocessorCount
        handle = other.handle
        context = other.context
        try driver.check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        var stream: CUstream?
        try driver.check(driver.cuStreamCreate(&stream, UInt32(FLOE_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
        self.stream = stream!
    }

    /// Makes this device's context current on the calling thread (the engine runs its loop on
    /// its own thread, not the one that loaded the model).
    @inline(__always) func bind() {
        _ = driver.cuCtxSetCurrent(context)
    }

    /// Checks the result of enqueueing `what`: while recording, a failure is kept for the
    /// recording to report; otherwise it stops the process (`cudaRequire`).
    func require(_ result: CUresult, _ what: @autoclosure () -> String) {
        guard result != 0 else { return }
        guard isCapturing else { return cudaRequire(result, driver, what()) }
        if captureError == nil {
            do { try driver.check(result, what()) } catch { captureError = "\(error)" }
        }
    }

    /// Counts one operation enqueued on `stream` (see `streamWork`).
    @inline(__always) func noteStreamWork() { streamWork &+= 1 }

    /// Free and total device memory, in bytes.
    public func memoryInfo() throws -> (free: Int, total: Int) {
        bind()
        var free = 0, total = 0
        try driver.check(driver.cuMemGetInfo(&free, &total), "cuMemGetInfo")
        return (free, total)
    }

    public func synchronize() throws {
        bind()
        try driver.check(driver.cuStreamSynchronize(stream), "cuStreamSynchronize")
    }

    /// Whether kernels may be launched with programmatic stream serialization: Hopper or later,
    /// and a driver that has `cuLaunchKernelEx` and records such launches into graphs (12.3+).
    var supportsDependentLaunch: Bool {
        var version: Int32 = 0
        guard computeCapability.major >= 9, driver.cuLaunchKernelEx != nil, driver.cuDriverGetVersion(&version) == 0 else { return false }
        return version >= 12030
    }

    /// The NVRTC target for this device, e.g. `sm_90`.
    public var architecture: String { "sm_\(computeCapability.major)\(computeCapability.minor)" }
}

/// Stops the process with the driver's message: a failed launch or copy mid-step leaves device
/// state unknown, which no caller can repair (vLLM and llama.cpp abort the same way).
func cudaRequire(_ result: CUresult, _ driver: FloeCUDADriver, _ what: @autoclosure () -> String) {
    guard result != 0 else { return }
    do { try driver.check(result, what()) } catch { fatalError("\(error)") }
}
