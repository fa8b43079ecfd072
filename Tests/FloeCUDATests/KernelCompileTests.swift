import Foundation
import Testing

@testable import FloeCUDA

/// The CUDA kernels compile for Hopper with NVRTC alone (no GPU, no CUDA headers): CI installs
/// the PyPI package `nvidia-cuda-nvrtc` and points `FLOE_CUDA_LIB_DIR` at it
/// (scripts/install-nvrtc.sh), so a kernel that does not compile fails CI. The kernels'
/// numerics are checked on the GPU machine by `floe cuda-check` (scripts/gpu-check.sh).
@Suite struct KernelCompileTests {
    @Test(arguments: ["sm_90", "sm_80"])
    func everyKernelCompiles(architecture: String) throws {
        let compiler = try KernelCompiler(cacheFolder: nil)
        let cubin = try compiler.compile(KernelSource.all, architecture: architecture)
        // An ELF image: the driver loads exactly this at start.
        #expect(cubin.count > 10_000)
        #expect(Array(cubin.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
    }

    /// Every kernel name the backend launches is a symbol of the compiled image (names made by
    /// macros included), so a renamed kernel fails here rather than on the GPU.
    @Test func everyLaunchedKernelIsDefined() throws {
        let cubin = try KernelCompiler(cacheFolder: nil).compile(KernelSource.all, architecture: "sm_90")
        var names = ["embed_bf16", "embed_f16", "embed_f32", "rms_norm", "add_rms_norm", "rope", "silu_mul", "add",
            "softmax_rows", "gather_rows", "argmax_partial", "argmax_final", "sample_rows", "add_bias", "split_columns", "convert_f32_bf16", "convert_f32_f16",
            "store_kv", "rope_store_kv", "paged_attention_32", "paged_attention_64", "paged_attention_128", "paged_attention_256",
            "attention_combine",
            "layer_norm", "add_layer_norm", "gelu", "silu_mul_bf16", "silu_mul_f16", "bias_gelu_bf16", "bias_gelu_f16", "gelu_bf16", "gelu_f16", "pool_rows", "l2_normalize"]
        // Norms that also write the next GEMM's 16-bit input (CUDABackend+GEMMInput).
        for norm in ["rms_norm", "add_rms_norm", "layer_norm", "add_layer_norm"] { names += [norm + "_copy_bf16", norm + "_copy_f16"] }
        for prefix in ["encoder_attention_", "encoder_attention_bf16_", "encoder_attention_f16_"] {
            names += [32, 64, 128].map { prefix + String(EncoderKernels.headDimBucket($0)) }
        }
        for hd in FlashAttentionKernels.headDims {
            names += ["flash_attention_paged_\(hd)", "flash_decode_paged_\(hd)", "flash_attention_packed_bf16_\(hd)", "flash_attention_packed_f16_\(hd)"]
        }
        for type in ["bf16", "f16", "f32"] { names += (1...GEMVKernels.maxTokens).map { "gemv_\(type)_\($0)" } }
        for type in ["bf16", "f16"] {
            for n in 1...GEMVKernels.tiledMaxTokens { names += ["gemv_tiled_\(type)_\(n)", "gemv_tiled4_\(type)_\(n)", "gemv_tiled_multi_\(type)_\(n)"] }
            names += (1...2).map { "gemv_multi_\(type)_\($0)" }
        }
        for name in names {
            let symbol = Array(("\0" + name + "\0").utf8)
            #expect(cubin.firstRange(of: symbol) != nil, "kernel \(name) is launched but not in the compiled image")
        }
    }

    @Test func compileErrorsNameTheProblem() throws {
        let compiler = try KernelCompiler(cacheFolder: nil)
        #expect {
            try compiler.compile("extern \"C\" __global__ void broken() { undefined_function(); }", architecture: "sm_90", name: "broken.cu")
        } throws: { error in
            "\(error)".contains("broken.cu") && "\(error)".contains("undefined_function")
        }
    }

    @Test func compiledKernelsAreCachedOnDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("floe-kernel-cache-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let compiler = try KernelCompiler(cacheFolder: folder)
        let source = "extern \"C\" __global__ void twice(float* x) { x[threadIdx.x] *= 2.f; }"
        let first = try compiler.compile(source, architecture: "sm_90", name: "twice.cu")
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(cached.count == 1 && cached[0].hasPrefix("twice.cu-sm_90-"))
        #expect(try compiler.compile(source, architecture: "sm_90", name: "twice.cu") == first)
    }
}
