import FloeCPU
import FloeTensor

/// A CPU model of CUDA-graph recording (`StepGraphRecording`, as `CUDABackend+StepGraphs`
/// implements it), so the replay flow of `DecodeGraphs` runs in CI, which has no GPU.
///
/// What it mirrors of CUDA:
/// - Recording runs the body's host code once but executes none of its ops: each op is kept,
///   with its tensors (their storage, so their addresses) and parameters frozen, like a kernel
///   captured into a graph. A replay runs the kept ops again; they compute on whatever the
///   tensors hold then. (The body itself cannot be kept: it is a non-escaping closure, and its
///   captures are gone once `recordStepGraph` returns.)
/// - Attention metadata with a `fixedLayout` lives in one "device buffer": an op given such
///   metadata outside a recording uploads it there first (`deviceMetadata` does), `stage(_:)`
///   uploads it, and a recorded op reads the buffer when it is replayed, not the value it was
///   given while recording. Metadata without a fixed layout is frozen into the op.
/// - The buffer is replaced (and `generation` bumped, so every recording stops being replayable)
///   when a larger layout does not fit it, or when a test calls `replaceMetadataBuffer()`
///   (what another model on the same backend may cause).
/// Everything a recording cannot contain (host reads and writes, a buffer growing mid-recording,
/// a replay of a stale recording, staged metadata of another token count than the recording's)
/// is noted in `faults` instead of silently working, since on a GPU it would go wrong silently.
///
/// Driven from one thread, as the engine drives a backend.
final class RecordingCPUBackend: StepGraphRecording, @unchecked Sendable {
    let cpu: CPUBackend
    var recordsStepGraphs: Bool
    private(set) var recordings = 0
    private(set) var replays = 0
    /// Misuses a GPU would not report; a correct caller leaves this empty.
    private(set) var faults: [String] = []
    /// Bumped whenever the fixed metadata buffer is replaced.
    private(set) var generation = 0

    /// The fixed-layout metadata buffer's contents and its size in words (the CUDA formula:
    /// `DeviceAttentionMetadata.fixedBufferWords`).
    private var fixedMetadata: AttentionMetadata?
    private var fixedBufferWords = 0
    /// The ops of the recording in progress.
    private var captured: [() -> Void]?

    init(cpu: CPUBackend, recordsStepGraphs: Bool = true) {
        self.cpu = cpu
        self.recordsStepGraphs = recordsStepGraphs
    }

    var name: String { "cpu (recording step graphs)" }
    var kvCacheDType: DType { cpu.kvCacheDType }

    /// What another model on the same backend does when it needs a larger metadata buffer.
    func replaceMetadataBuffer() {
        fixedBufferWords = 0
        fixedMetadata = nil
        generation += 1
    }

    // MARK: StepGraphRecording

    func stage(_ metadata: AttentionMetadata) {
        precondition(metadata.fixedLayout != nil, "staging attention metadata without a fixed layout")
        upload(fixedLayout: metadata)
    }

    func recordStepGraph(_ body: () throws -> Void) throws -> any StepGraph {
        precondition(captured == nil, "graph recordings do not nest")
        captured = []
        let faultsBefore = faults.count
        defer { captured = nil }
        try body()
        guard faults.count == faultsBefore else { throw RecordingFailed(reason: faults[faultsBefore...].joined(separator: "; ")) }
        recordings += 1
        return RecordedCPUStep(backend: self, ops: captured!, generation: generation)
    }

    struct RecordingFailed: Error { let reason: String }

    fileprivate func replay(_ step: RecordedCPUStep) {
        guard step.isReplayable else {
            faults.append("replay of a recording that outlived the metadata buffer it reads")
            return
        }
        replays += 1
        for op in step.ops { op() }
    }

    /// Runs `op` now, or keeps it for replays while recording.
    private func enqueue(_ op: @escaping () -> Void) {
        if captured != nil { captured!.append(op) } else { op() }
    }

    /// Where an op reads `metadata` when it runs: the fixed buffer for a fixed layout (filled
    /// now unless recording, as `deviceMetadata` fills it), else the value itself.
    private func metadataSource(_ metadata: AttentionMetadata) -> () -> AttentionMetadata {
        guard metadata.fixedLayout != nil else { return { metadata } }
        if captured == nil || fixedMetadata != metadata { upload(fixedLayout: metadata) }
        let tokens = metadata.tokenCount
        return { [unowned self] in
            guard let staged = fixedMetadata else {
                faults.append("an op read the fixed metadata buffer before anything was uploaded to it")
                return metadata
            }
            if staged.tokenCount != tokens {
                faults.append("a recording of \(tokens) tokens read staged metadata of \(staged.tokenCount)")
            }
            return staged
        }
    }

    /// `deviceMetadata` and `fixedMetadataBuffer` for a fixed layout: checks it holds only
    /// one-token sequences within its sizes, replaces the buffer when it is too small (not
    /// possible while recording), then overwrites its contents.
    private func upload(fixedLayout metadata: AttentionMetadata) {
        let layout = metadata.fixedLayout!
        let tableEntries = metadata.sequences.reduce(0) { $0 + $1.blockTable.count }
        precondition(metadata.sequences.allSatisfy { $0.queryTokens.count == 1 } && metadata.tokenCount <= layout.maxTokens
                && tableEntries <= layout.maxTableEntries,
            "a fixed attention layout holds up to \(layout.maxTokens) one-token sequences with \(layout.maxTableEntries) table entries")
        let words = (4 + 5) * layout.maxTokens + layout.maxTableEntries
        if words > fixedBufferWords {
            if captured != nil { faults.append("the fixed attention metadata buffer cannot grow while a graph is recorded") }
            fixedBufferWords = words
            generation += 1
        }
        fixedMetadata = metadata
    }

    /// Host reads and writes run at once (a replay would not repeat them): a recorded step
    /// must not contain any.
    private func hostAccess(_ what: String) {
        if captured != nil { faults.append("\(what) while recording") }
    }

    // MARK: Memory

    func allocate(_ shape: Shape, dtype: DType) -> Tensor { cpu.allocate(shape, dtype: dtype) }

    func upload(_ host: Tensor) -> Tensor {
        hostAccess("upload")
        return cpu.upload(host)
    }

    func readFloats(_ tensor: Tensor) -> [Float] {
        hostAccess("readFloats")
        return cpu.readFloats(tensor)
    }

    func write(_ values: [Float], into tensor: Tensor) {
        hostAccess("write")
        cpu.write(values, into: tensor)
    }

    func write(_ values: [Int32], into tensor: Tensor) {
        hostAccess("write")
        cpu.write(values, into: tensor)
    }

    func synchronize() {
        hostAccess("synchronize")
        cpu.synchronize()
    }

    func argmaxRows(_ x: Tensor) -> [Int] {
        hostAccess("argmaxRows")
        return cpu.argmaxRows(x)
    }

    // MARK: Ops (kept while recording)

    func embed(tokens: Tensor, table: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.embed(tokens: tokens, table: table, into: out) }
    }

    func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        enqueue { [cpu] in cpu.rmsNorm(x, weight: weight, epsilon: epsilon, into: out) }
    }

    func addRMSNorm(residual: Tensor, delta: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        enqueue { [cpu] in cpu.addRMSNorm(residual: residual, delta: delta, weight: weight, epsilon: epsilon, into: out) }
    }

    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) {
        enqueue { [cpu] in cpu.linear(x, weight: weight, bias: bias, into: out) }
    }

    func linears(_ x: Tensor, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) {
        enqueue { [cpu] in cpu.linears(x, weights: weights, biases: biases, into: outs) }
    }

    func gatedLinear(_ x: Tensor, gate: Tensor, up: Tensor, scratch: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.gatedLinear(x, gate: gate, up: up, scratch: scratch, into: out) }
    }

    func gatedFeedForward(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor, scratch: Tensor, inner: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.gatedFeedForward(x, gate: gate, up: up, down: down, scratch: scratch, inner: inner, into: out) }
    }

    func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle) {
        enqueue { [cpu] in cpu.rope(x, positions: positions, inverseFrequencies: inverseFrequencies, style: style) }
    }

    func ropeAndStoreKV(
        query: Tensor, key: Tensor, value: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle,
        keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        let source = metadataSource(metadata)
        enqueue { [cpu] in
            cpu.ropeAndStoreKV(
                query: query, key: key, value: value, positions: positions, inverseFrequencies: inverseFrequencies,
                style: style, keyCache: keyCache, valueCache: valueCache, metadata: source())
        }
    }

    func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.siluMul(gate: gate, up: up, into: out) }
    }

    func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.add(a, b, into: out) }
    }

    func softmax(_ x: Tensor, into out: Tensor) {
        enqueue { [cpu] in cpu.softmax(x, into: out) }
    }

    func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor) {
        enqueue { [cpu] in cpu.gatherRows(x, indices: indices, into: out) }
    }

    func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata) {
        let source = metadataSource(metadata)
        enqueue { [cpu] in cpu.storeKV(key: key, value: value, keyCache: keyCache, valueCache: valueCache, metadata: source()) }
    }

    func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata, scale: Float, into out: Tensor
    ) {
        let source = metadataSource(metadata)
        enqueue { [cpu] in
            cpu.attention(query: query, keyCache: keyCache, valueCache: valueCache, metadata: source(), scale: scale, into: out)
        }
    }
}

/// A recording of `RecordingCPUBackend`: its ops, with their tensors and parameters frozen.
final class RecordedCPUStep: StepGraph {
    private let backend: RecordingCPUBackend
    fileprivate let ops: [() -> Void]
    private let generation: Int

    fileprivate init(backend: RecordingCPUBackend, ops: [() -> Void], generation: Int) {
        self.backend = backend
        self.ops = ops
        self.generation = generation
    }

    var isReplayable: Bool { backend.generation == generation }

    func replay() { backend.replay(self) }
}
