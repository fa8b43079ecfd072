import CFloeKernels

/// Which instruction-set variant of the C kernels runs. The best supported one is chosen at
/// start-up; lowering it is for tests and benchmarks (it is process-wide).
public enum KernelLevel: Int, Sendable, CaseIterable, Comparable {
    case scalar = 0, avx2 = 1, avx512 = 2

    /// The best level this CPU supports.
    public static var supported: KernelLevel { KernelLevel(rawValue: Int(floe_isa_supported())) ?? .scalar }

    /// The level in use now.
    public static var current: KernelLevel {
        get { KernelLevel(rawValue: Int(floe_isa_current())) ?? .scalar }
        set { floe_isa_set(Int32(newValue.rawValue)) }
    }

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }
}
