// FloeEngine: the serving engine's pure-Swift core, after vLLM V1.
//
// It owns requests and their lifecycle (`Request`, `Scheduler`), the paged KV cache's
// bookkeeping (`BlockPool`, `KVCacheManager`: which block holds which tokens, never the
// tensors), sampling semantics (`SamplingParams`, `RequestSampler`, `StopStringMatcher`) and
// the engine loop (`EngineCore`) on its own thread. It talks to models only through
// `ModelExecutor`, and imports no tensor, backend or model module, so every scheduling
// decision is unit-testable with a fake executor.

/// Mixes 64 bits into 64 well-distributed bits (the MurmurHash3 finalizer). Used for block
/// hashes and per-token sampling seeds, where we need a hash that is stable across runs and
/// processes (Swift's `Hasher` is randomly seeded per process).
@inline(__always)
func mix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return z ^ (z >> 33)
}
