import CFloeCUDA
import FloeTensor

/// CUDA-graph recording and replay of steps (`StepGraphRecording`). A decode step of an 8B
/// model is ~390 host calls (kernel launches and cuBLASLt calls at ~4 and ~19 µs of host time
/// each): at batch 64 the GPU waited for the host at the start of every step. A replay is one
/// `cuGraphLaunch`.
extension CUDABackend: StepGraphRecording {
    public func stage(_ metadata: AttentionMetadata) {
        precondition(metadata.fixedLayout != nil, "staging attention metadata without a fixed layout")
        device.bind()
        _ = deviceMetadata(metadata)
    }

    public func recordStepGraph(_ body: () throws -> Void) throws -> any StepGraph {
        device.bind()
        precondition(!device.isCapturing, "graph recordings do not nest")
        // Relaxed: a scratch buffer that must grow mid-recording may still call cuMemAlloc
        // (kept alive by the graph, below).
        try driver.check(driver.cuStreamBeginCapture(device.stream, Int32(FLOE_CU_STREAM_CAPTURE_MODE_RELAXED)), "starting a graph recording")
        device.isCapturing = true
        recordingStorages = []
        var bodyError: (any Error)?
        do { try body() } catch { bodyError = error }
        let enqueueError = device.captureError
        device.isCapturing = false
        var used = recordingStorages ?? []
        recordingStorages = nil
        if let fixedMetadata { used.append(fixedMetadata) }
        var graph: CUgraph?
        let ended = driver.cuStreamEndCapture(device.stream, &graph)
        // Ops after the recording must not take a GEMM-input copy the recording "made".
        device.noteStreamWork()
        // The graph is only needed until it is instantiated.
        defer { if let graph { _ = driver.cuGraphDestroy(graph) } }
        if let bodyError { throw bodyError }
        if let enqueueError { throw CUDAError("recording a step: \(enqueueError)") }
        try driver.check(ended, "ending a graph recording")
        var executable: CUgraphExec?
        try driver.check(driver.cuGraphInstantiateWithFlags(&executable, graph, 0), "instantiating a recorded graph")
        return CUDAStepGraph(backend: self, executable: executable!, storages: used, metadataGeneration: fixedMetadataGeneration)
    }
}

/// A recorded step: the instantiated graph and every device buffer its ops touch that the
/// backend could otherwise free and hand out again (scratch that grew later, buffers allocated
/// during the recording).
final class CUDAStepGraph: StepGraph {
    private let backend: CUDABackend
    private let executable: CUgraphExec
    private let storages: [Storage]
    private let metadataGeneration: Int

    init(backend: CUDABackend, executable: CUgraphExec, storages: [Storage], metadataGeneration: Int) {
        self.backend = backend
        self.executable = executable
        self.storages = storages
        self.metadataGeneration = metadataGeneration
    }

    deinit {
        backend.device.bind()
        _ = backend.driver.cuGraphExecDestroy(executable)
    }

    var isReplayable: Bool { backend.fixedMetadataGeneration == metadataGeneration }

    func replay() {
        precondition(isReplayable,
            "a recorded graph outlived the attention metadata buffer it reads (record again after a larger fixed layout)")
        backend.device.bind()
        backend.device.noteStreamWork()
        backend.stepGraphReplays += 1
        cudaRequire(backend.driver.cuGraphLaunch(executable, backend.device.stream), backend.driver, "replaying a recorded step")
    }
}
