/// Every kernel Floe runs, as one CUDA C++ translation unit shipped inside the binary and
/// compiled by NVRTC for the device at start (cached on disk; see `KernelCompiler`).
public enum KernelSource {
    public static var all: String {
        [CommonKernels.source, DependentLaunch.source, ElementwiseKernels.source, SamplingKernels.source, GEMVKernels.source, AttentionKernels.source, FlashAttentionKernels.source, EncoderKernels.source]
            .joined(separator: "\n")
    }
}
