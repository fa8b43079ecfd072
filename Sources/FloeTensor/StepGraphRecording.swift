/// A backend that can record a step's ops once and replay them with one call (CUDA graphs), so a
/// decode step costs one launch on the host instead of a few hundred.
///
/// A recording freezes every address and launch parameter its ops used. A replay therefore reads
/// its inputs from the same tensors, which the caller rewrites before each replay, and its
/// attention metadata from the fixed buffer that `stage(_:)` fills for metadata with a
/// `fixedLayout`. Shapes that depend on the data (the number of splits of a long context, the
/// tiles of a prefill chunk) must depend only on the layout, so recordings are made for batches
/// padded to a few sizes.
public protocol StepGraphRecording: Backend {
    /// Whether steps should be recorded and replayed at all (`--enforce-eager` turns it off).
    var recordsStepGraphs: Bool { get }
    /// Uploads `metadata`, which must have a `fixedLayout`, to the device buffer that ops of
    /// recorded steps read it from. Ops given an equal value afterwards use that buffer.
    func stage(_ metadata: AttentionMetadata)
    /// Runs `body` without executing its ops, recording them into a graph; the tensors and
    /// scratch the ops used stay alive as long as the graph does.
    func recordStepGraph(_ body: () throws -> Void) throws -> any StepGraph
}

/// A recorded step.
public protocol StepGraph: AnyObject {
    /// False once a buffer the recording reads was replaced (record again).
    var isReplayable: Bool { get }
    /// Enqueues every recorded op again, reading whatever its tensors hold now.
    func replay()
}
