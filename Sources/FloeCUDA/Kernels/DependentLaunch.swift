/// Programmatic dependent launch (Hopper, sm_90+): a kernel launched with it may start while the
/// kernel before it on the stream is still finishing, and waits for it (`dependent_launch_wait`:
/// its completion and memory) only where it first touches memory that kernel may write or read.
/// A decode step is a chain of ~300 short kernels, each of which otherwise pays its launch and
/// ramp-up after its predecessor's tail. (Prefetching a GEMV's weight rows into L2 before the
/// wait was tried: 145 instead of 160.6 tok/s at batch 1 on an H100, so the kernels wait first.)
///
/// Every kernel named in `kernels` calls `dependent_launch_wait()` before any access to memory
/// that another kernel writes (or reads and it writes), then `dependent_launch_trigger()` so the
/// kernel after it may be scheduled — after the wait, so that at most one kernel runs ahead and
/// no chain of waiting blocks fills the GPU. Both are no-ops for a kernel launched normally.
enum DependentLaunch {
    static let kernels: Set<String> = [
        "gemv_tiled_bf16_1", "gemv_tiled_bf16_2", "gemv_tiled_f16_1", "gemv_tiled_f16_2",
        "gemv_tiled4_bf16_1", "gemv_tiled4_bf16_2", "gemv_tiled4_f16_1", "gemv_tiled4_f16_2",
        "gemv_tiled_multi_bf16_1", "gemv_tiled_multi_bf16_2", "gemv_tiled_multi_f16_1", "gemv_tiled_multi_f16_2",
        "rms_norm", "rms_norm_copy_bf16", "rms_norm_copy_f16", "add_rms_norm", "add_rms_norm_copy_bf16", "add_rms_norm_copy_f16",
        "rope_store_kv", "attention_combine", "split_columns",
        "flash_decode_paged_32", "flash_decode_paged_64", "flash_decode_paged_96", "flash_decode_paged_128",
        "flash_decode_paged_joint_32", "flash_decode_paged_joint_64", "flash_decode_paged_joint_96", "flash_decode_paged_joint_128",
        "paged_attention_32", "paged_attention_64", "paged_attention_128", "paged_attention_256",
    ]

    static let source = #"""
__device__ __forceinline__ void dependent_launch_wait() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void dependent_launch_trigger() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;\n" :::);
#endif
}
"""#
}
