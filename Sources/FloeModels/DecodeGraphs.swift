import FloeTensor
import Foundation

/// Decode steps replayed from recorded graphs (CUDA graphs), for a model whose backend can
/// record them (`StepGraphRecording`), as vLLM does: a step whose sequences each bring one token
/// is padded to the next recorded batch size, its inputs are written into buffers at fixed
/// addresses, and the recording of that size replays — one launch instead of hundreds of host
/// calls. The first step of each size runs eagerly and is then recorded. Prefill chunks, mixed
/// steps, draft verification and batches beyond the largest size run eagerly.
///
/// Generic over the model's activation buffers (`Scratch`): every recording shares one set,
/// sized for the largest batch seen so far (grown by doubling, which drops the recordings).
final class DecodeGraphs<Scratch> {
    let backend: any StepGraphRecording
    private var scratch: (capacity: Int, buffers: Scratch)?
    private var recordings: [Int: (graph: any StepGraph, logits: Tensor)] = [:]
    /// Sizes whose recording failed: they stay eager (with one message).
    private var unrecordable: Set<Int> = []
    /// The cache the recordings write (its addresses are in them).
    private var recordedCache: CacheIdentity?

    /// Where a KV cache lives and how it is laid out: a cache equal in these is one a recording
    /// can write (even a new cache allocated at the same addresses).
    struct CacheIdentity: Equatable {
        let addresses: [UnsafeMutableRawPointer]
        let blockSize: Int, blockCount: Int

        init(_ cache: KVCache) {
            addresses = (cache.keys + cache.values).map(\.address)
            blockSize = cache.blockSize
            blockCount = cache.blockCount
        }
    }

    init(backend: any StepGraphRecording) { self.backend = backend }

    /// The padded size for `batch`, when it is a decode step a recording can run.
    func paddedSize(for batch: ForwardBatch) -> Int? {
        guard backend.recordsStepGraphs, let size = Self.recordableSize(for: batch), !unrecordable.contains(size) else { return nil }
        return size
    }

    /// The padded size of a batch whose sequences each bring one token and need its logits, in
    /// order (a decode step), up to `DecodeGraphSizes.largest`; nil for any other batch.
    static func recordableSize(for batch: ForwardBatch) -> Int? {
        let n = batch.tokens.count
        guard n <= DecodeGraphSizes.largest, batch.attention.fixedLayout == nil, batch.logitRows.count == n,
            batch.attention.sequences.count == n,
            batch.attention.sequences.allSatisfy({ $0.queryTokens.count == 1 }),
            batch.logitRows.enumerated().allSatisfy({ $0 == $1 })
        else { return nil }
        return DecodeGraphSizes.all.first(where: { $0 >= n })
    }

    /// Runs `batch` (accepted by `paddedSize`) through the recording of `size`, recording it
    /// first if there is none; returns the logits of the batch's own rows.
    /// - `makeScratch(capacity)`: activation buffers for `capacity` tokens (and logit rows).
    /// - `stage`: writes a padded batch's token ids and positions into the buffers.
    /// - `run`: every op of the forward pass on the buffers; returns `[size, vocab]` logits.
    func forward(
        _ batch: ForwardBatch, size: Int, cache: KVCache, maxPositions: Int,
        makeScratch: (Int) -> Scratch, stage: (ForwardBatch, Scratch) -> Void, run: (ForwardBatch, Scratch) -> Tensor
    ) -> Tensor {
        // Recordings hold every layer's cache address and the cache's layout.
        let cacheIdentity = CacheIdentity(cache)
        if recordedCache != cacheIdentity {
            recordings = [:]
            recordedCache = cacheIdentity
        }
        if scratch == nil || scratch!.capacity < size {
            recordings = [:]  // they use the old buffers and the old metadata layout
            let capacity = min(max(size, 2 * (scratch?.capacity ?? 0)), DecodeGraphSizes.largest)
            scratch = (capacity, makeScratch(capacity))
        }
        let (capacity, buffers) = scratch!
        let blocksPerSequence = min((maxPositions + cache.blockSize - 1) / cache.blockSize, cache.blockCount)
        let padded = Self.padded(batch, to: size, layout: .init(maxTokens: capacity, blocksPerSequence: blocksPerSequence))
        let profiler = StepProfiler.shared
        let rows = 0..<batch.tokens.count
        profiler.measure("graph: stage inputs") { stage(padded, buffers) }
        if let recording = recordings[size] {
            profiler.measure("graph: stage metadata") { backend.stage(padded.attention) }
            if recording.graph.isReplayable {
                profiler.measure("graph: replay") { recording.graph.replay() }
                return recording.logits.slice(rows)
            }
            // The backend's metadata buffer was replaced (a larger layout, perhaps another
            // model's): every recording reads the old one.
            recordings = [:]
        }
        let logits = run(padded, buffers)
        do {
            let graph = try backend.recordStepGraph { _ = run(padded, buffers) }
            recordings[size] = (graph, logits)
        } catch {
            unrecordable.insert(size)
            FileHandle.standardError.write(Data("floe: decode steps of \(size) sequences run without a recorded graph: \(error)\n".utf8))
        }
        return logits.slice(rows)
    }

    /// `batch` padded to `size` one-token sequences: the extra rows read token 0 at position 0,
    /// store nothing (slot -1) and attend to nothing (a context of 0).
    static func padded(_ batch: ForwardBatch, to size: Int, layout: AttentionMetadata.FixedLayout) -> ForwardBatch {
        let n = batch.tokens.count, extra = size - n
        var attention = batch.attention
        attention.sequences += (n..<size).map { .init(queryTokens: $0..<($0 + 1), contextLength: 0, blockTable: []) }
        attention.slotMapping += [Int32](repeating: -1, count: extra)
        attention.fixedLayout = layout
        return ForwardBatch(
            tokens: batch.tokens + [Int32](repeating: 0, count: extra),
            positions: batch.positions + [Int32](repeating: 0, count: extra),
            attention: attention, logitRows: Array(0..<size))
    }
}

/// The batch sizes decode steps are padded to and recorded at.
public enum DecodeGraphSizes {
    /// Larger decode steps run eagerly. Memory reserved for the recordings' activations
    /// (`EngineOptions`) assumes this many tokens.
    public static let largest = 256
    /// 1, 2, 4, then multiples of 8 (vLLM's capture sizes).
    public static let all = [1, 2, 4] + Array(stride(from: 8, through: largest, by: 8))
}
