import FloeCPU
import FloeEngine
import FloeTensor
import Synchronization

/// A CPU backend that also samples "on the device" (`DeviceSampling`), so the runner's device
/// sampling path runs in CI, which has no GPU. Its `sampleRows` is a plain Swift statement of
/// what `adjust_logits` and `sample_rows` do on CUDA, written from `LogitAdjustment`'s contract
/// rather than from `RequestSampler`, so the host sampler can serve as the reference.
///
/// It counts what crosses the "device" boundary: every `readFloats` (rows of the tensor read)
/// and every `sampleRows` call.
final class DeviceSamplingCPUBackend: Backend, DeviceSampling, @unchecked Sendable {
    let cpu: CPUBackend
    private let counters = Mutex(Counters())

    struct Counters {
        /// Rows of each tensor read back, in order.
        var readRows: [Int] = []
        var sampleCalls = 0
        /// Rows given to `sampleRows` that carried adjustments.
        var adjustedRows = 0
    }

    init(cpu: CPUBackend = CPUBackend(threads: 1)) { self.cpu = cpu }

    var counts: Counters { counters.withLock { $0 } }

    // MARK: DeviceSampling

    func sampleRows(_ logits: Tensor, rows: [DeviceSamplingRow]) -> [Int] {
        let cols = logits.shape.last
        precondition(rows.count == logits.shape.rowCount, "\(rows.count) parameter rows for logits \(logits.shape)")
        counters.withLock {
            $0.sampleCalls += 1
            $0.adjustedRows += rows.filter { !$0.adjustments.isEmpty }.count
        }
        let base = logits.pointer(as: Float.self)
        return rows.enumerated().map { index, row in
            let values = UnsafeMutableBufferPointer(start: base + index * cols, count: cols)
            Self.adjust(values, row: row)
            return row.temperature == 0 ? LogitsProcessing.argmax(UnsafeBufferPointer(values)) : Self.draw(values, row: row)
        }
    }

    /// `LogitAdjustment`'s contract, entry by entry.
    static func adjust(_ logits: UnsafeMutableBufferPointer<Float>, row: DeviceSamplingRow) {
        for entry in row.adjustments where logits.indices.contains(entry.token) {
            var value = logits[entry.token]
            if entry.masked { value = -.infinity }
            if let bias = entry.bias { value += bias }
            if row.repetitionPenalty != 1, entry.inPrompt || entry.outputCount > 0 {
                value = value > 0 ? value / row.repetitionPenalty : value * row.repetitionPenalty
            }
            if row.frequencyPenalty != 0 || row.presencePenalty != 0, entry.outputCount > 0 {
                value -= row.frequencyPenalty * Float(entry.outputCount) + row.presencePenalty
            }
            logits[entry.token] = value
        }
    }

    /// Some valid draw from the truncated distribution (the tests here are about greedy rows).
    static func draw(_ logits: UnsafeMutableBufferPointer<Float>, row: DeviceSamplingRow) -> Int {
        for index in logits.indices { logits[index] /= row.temperature }
        let (tokens, weights) = LogitsProcessing.truncatedCandidates(
            UnsafeBufferPointer(logits), minP: row.minP, topK: row.topK, topP: row.topP)
        var generator = SeededGenerator(seed: row.seed &+ 0x9E37_79B9 &* row.step)
        var threshold = Float.random(in: 0..<1, using: &generator) * weights.reduce(0, +)
        for (token, weight) in zip(tokens, weights) {
            threshold -= weight
            if threshold < 0 { return token }
        }
        return tokens[tokens.count - 1]
    }

    // MARK: Backend (the CPU's, counting reads)

    var name: String { "cpu (sampling as a device)" }
    var kvCacheDType: DType { cpu.kvCacheDType }
    func allocate(_ shape: Shape, dtype: DType) -> Tensor { cpu.allocate(shape, dtype: dtype) }
    func upload(_ host: Tensor) -> Tensor { cpu.upload(host) }

    func readFloats(_ tensor: Tensor) -> [Float] {
        counters.withLock { $0.readRows.append(tensor.shape.rowCount) }
        return cpu.readFloats(tensor)
    }

    func write(_ values: [Float], into tensor: Tensor) { cpu.write(values, into: tensor) }
    func write(_ values: [Int32], into tensor: Tensor) { cpu.write(values, into: tensor) }
    func synchronize() { cpu.synchronize() }
    func argmaxRows(_ x: Tensor) -> [Int] { cpu.argmaxRows(x) }
    func embed(tokens: Tensor, table: Tensor, into out: Tensor) { cpu.embed(tokens: tokens, table: table, into: out) }
    func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) { cpu.rmsNorm(x, weight: weight, epsilon: epsilon, into: out) }

    func addRMSNorm(residual: Tensor, delta: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        cpu.addRMSNorm(residual: residual, delta: delta, weight: weight, epsilon: epsilon, into: out)
    }

    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) { cpu.linear(x, weight: weight, bias: bias, into: out) }

    func linears(_ x: Tensor, weights: [Tensor], biases: [Tensor?], into outs: [Tensor]) {
        cpu.linears(x, weights: weights, biases: biases, into: outs)
    }

    func gatedLinear(_ x: Tensor, gate: Tensor, up: Tensor, scratch: Tensor, into out: Tensor) {
        cpu.gatedLinear(x, gate: gate, up: up, scratch: scratch, into: out)
    }

    func gatedFeedForward(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor, scratch: Tensor, inner: Tensor, into out: Tensor) {
        cpu.gatedFeedForward(x, gate: gate, up: up, down: down, scratch: scratch, inner: inner, into: out)
    }

    func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle) {
        cpu.rope(x, positions: positions, inverseFrequencies: inverseFrequencies, style: style)
    }

    func ropeAndStoreKV(
        query: Tensor, key: Tensor, value: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle,
        keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata
    ) {
        cpu.ropeAndStoreKV(
            query: query, key: key, value: value, positions: positions, inverseFrequencies: inverseFrequencies, style: style,
            keyCache: keyCache, valueCache: valueCache, metadata: metadata)
    }

    func siluMul(gate: Tensor, up: Tensor, into out: Tensor) { cpu.siluMul(gate: gate, up: up, into: out) }
    func add(_ a: Tensor, _ b: Tensor, into out: Tensor) { cpu.add(a, b, into: out) }
    func softmax(_ x: Tensor, into out: Tensor) { cpu.softmax(x, into: out) }
    func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor) { cpu.gatherRows(x, indices: indices, into: out) }

    func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata) {
        cpu.storeKV(key: key, value: value, keyCache: keyCache, valueCache: valueCache, metadata: metadata)
    }

    func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata, scale: Float, into out: Tensor
    ) {
        cpu.attention(query: query, keyCache: keyCache, valueCache: valueCache, metadata: metadata, scale: scale, into: out)
    }
}
