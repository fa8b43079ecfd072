import CFloeCUDA
import FloeTensor

/// A loaded cubin and its kernels, looked up by name once.
final class CUDAModule: @unchecked Sendable {
    private let device: CUDADevice
    private let module: CUmodule
    /// Each kernel, and whether it is launched with programmatic stream serialization.
    private var functions: [String: (function: CUfunction, dependent: Bool)] = [:]
    /// Whether kernels written for it (`DependentLaunch.kernels`) are launched with programmatic
    /// stream serialization (sm_90+, a driver with `cuLaunchKernelEx`; `FLOE_CUDA_PDL=0` turns it
    /// off). Set before the first launch.
    var dependentLaunches = false

    init(device: CUDADevice, cubin: [UInt8]) throws {
        self.device = device
        device.bind()
        var module: CUmodule?
        try cubin.withUnsafeBytes { try device.driver.check(device.driver.cuModuleLoadData(&module, $0.baseAddress), "cuModuleLoadData") }
        self.module = module!
    }

    func function(_ name: String) -> CUfunction { entry(name).function }

    private func entry(_ name: String) -> (function: CUfunction, dependent: Bool) {
        if let cached = functions[name] { return cached }
        var function: CUfunction?
        cudaRequire(device.driver.cuModuleGetFunction(&function, module, name), device.driver, "kernel \(name)")
        let entry = (function!, dependentLaunches && DependentLaunch.kernels.contains(name))
        functions[name] = entry
        return entry
    }

    /// Launches `name` on the device's stream.
    func launch(
        _ name: String, grid: (Int, Int, Int), block: Int, sharedBytes: Int = 0, _ arguments: KernelArguments
    ) {
        guard grid.0 > 0, grid.1 > 0, grid.2 > 0 else { return }
        device.noteStreamWork()
        StepProfiler.shared.measure("kernel launches") { launchNow(name, grid: grid, block: block, sharedBytes: sharedBytes, arguments) }
    }

    private func launchNow(_ name: String, grid: (Int, Int, Int), block: Int, sharedBytes: Int, _ arguments: KernelArguments) {
        let (function, dependent) = entry(name)
        var arguments = arguments
        arguments.withParameterArray { parameters in
            let result: CUresult
            if dependent {
                var attribute = FloeCUlaunchAttribute()
                attribute.id = Int32(FLOE_CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION)
                attribute.value.programmaticStreamSerializationAllowed = 1
                result = withUnsafeMutablePointer(to: &attribute) { attributes in
                    var config = FloeCUlaunchConfig(
                        gridDimX: UInt32(grid.0), gridDimY: UInt32(grid.1), gridDimZ: UInt32(grid.2),
                        blockDimX: UInt32(block), blockDimY: 1, blockDimZ: 1, sharedMemBytes: UInt32(sharedBytes),
                        hStream: device.stream, attrs: attributes, numAttrs: 1)
                    return device.driver.cuLaunchKernelEx!(&config, function, parameters, nil)
                }
            } else {
                result = device.driver.cuLaunchKernel(
                    function, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2), UInt32(block), 1, 1,
                    UInt32(sharedBytes), device.stream, parameters, nil)
            }
            device.require(result, "launching \(name) grid \(grid) block \(block)")
        }
    }
}

/// Kernel parameters in launch order. Each value sits in its own 8-byte slot, little-endian, so
/// a pointer to the slot is a pointer to the value whatever its width; a struct parameter takes
/// consecutive slots laid out as the kernel's struct is.
struct KernelArguments {
    private var slots: [UInt64] = []
    private var starts: [Int] = []

    init() {}

    func tensor(_ tensor: Tensor?) -> KernelArguments { pointer(tensor?.deviceAddress ?? 0) }
    func pointer(_ address: UInt64) -> KernelArguments { structure([address]) }
    func int(_ value: Int) -> KernelArguments { structure([UInt64(UInt32(bitPattern: Int32(value)))]) }
    func int64(_ value: Int) -> KernelArguments { structure([UInt64(bitPattern: Int64(value))]) }
    func float(_ value: Float) -> KernelArguments { structure([UInt64(value.bitPattern)]) }
    /// One parameter made of these 8-byte words (a struct passed by value).
    func structure(_ words: [UInt64]) -> KernelArguments {
        var copy = self
        copy.starts.append(copy.slots.count)
        copy.slots += words
        return copy
    }

    mutating func withParameterArray(_ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void) {
        let starts = self.starts
        slots.withUnsafeMutableBufferPointer { buffer in
            var parameters = starts.map { UnsafeMutableRawPointer(buffer.baseAddress! + $0) as UnsafeMutableRawPointer? }
            parameters.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        }
    }
}
