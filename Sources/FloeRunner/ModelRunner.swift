import FloeEngine
import FloeModels
import FloeTensor
import Foundation

/// The engine's executor for a `CausalLM` on any backend: each step becomes one flat batch —
/// prefill chunks and decode tokens of every scheduled request back to back — run through
/// `forward`, with logits computed only for rows that are sampled.
public final class ModelRunner: ModelExecutor {
    public let model: any CausalLM
    public let cache: KVCache
    private var samplers = RequestSamplers()
    /// Prompts of running requests that asked for prompt logprobs, and how many top entries.
    private var promptLogprobRequests: [RequestID: (prompt: [Int], topCount: Int)] = [:]
    /// When the last step returned (profiling only: the host time between steps).
    private var previousStepEnd: ContinuousClock.Instant?
    /// `FLOE_HOST_SAMPLING=1` samples every token on the host (logits downloaded), to compare
    /// with device sampling.
    static let hostSamplingForced = ProcessInfo.processInfo.environment["FLOE_HOST_SAMPLING"] == "1"

    public init(model: any CausalLM, blockCount: Int, blockSize: Int) {
        self.model = model
        cache = model.makeKVCache(blockCount: blockCount, blockSize: blockSize)
    }

    /// Bytes of KV cache one block holds on this model (keys and values, every layer).
    public static func blockBytes(model: any CausalLM, blockSize: Int) -> Int {
        let probe = model.makeKVCache(blockCount: 1, blockSize: blockSize)
        return (probe.keys + probe.values).reduce(0) { $0 + $1.byteCount }
    }

    public func execute(_ output: SchedulerOutput) throws -> ModelRunnerOutput {
        let profiler = StepProfiler.shared
        guard profiler.enabled else { return try executeStep(output) }
        if let previousStepEnd { profiler.add("between steps", since: previousStepEnd) }
        defer { previousStepEnd = ContinuousClock.now }
        return try profiler.measure("step (runner)") { () throws -> ModelRunnerOutput in try executeStep(output) }
    }

    private func executeStep(_ output: SchedulerOutput) throws -> ModelRunnerOutput {
        let stepStart = StepProfiler.shared.enabled ? ContinuousClock.now : nil
        samplers.prepare(for: output)
        for id in output.finishedRequestIDs + output.preemptedRequestIDs { promptLogprobRequests[id] = nil }
        for request in output.scheduled {
            if let new = request.newRequest, let topCount = new.params.promptLogprobs {
                promptLogprobRequests[request.id] = (new.promptTokenIDs, topCount)
            }
        }
        guard !output.isEmpty else { return ModelRunnerOutput(sampledTokens: [:]) }

        var tokens: [Int32] = [], positions: [Int32] = []
        var sequences: [AttentionMetadata.Sequence] = []
        var logitRows: [Int] = []
        // First row sampled per request: its last row, or with drafts the row of its last real
        // token followed by one row per draft token (spec §4.7: k + 1 positions verified).
        var sampledRows: [(id: RequestID, tokenRow: Int, drafts: [Int])] = []
        // Rows whose logits score the next prompt token: (request, first row, positions).
        var promptRows: [(id: RequestID, firstRow: Int, positions: Range<Int>)] = []
        tokens.reserveCapacity(output.totalTokenCount)
        for request in output.scheduled {
            let first = tokens.count
            tokens.append(contentsOf: request.tokenIDs.map { Int32(truncatingIfNeeded: $0) })
            positions.append(contentsOf: request.positions.map { Int32($0) })
            sequences.append(.init(
                queryTokens: first..<tokens.count, contextLength: request.contextLength, blockTable: request.blockTable))
            if let wanted = promptLogprobRequests[request.id], request.positionStart < wanted.prompt.count {
                // Every prompt row of this chunk is scored; the last one may also be sampled.
                let positions = request.positionStart..<min(request.contextLength, wanted.prompt.count)
                promptRows.append((request.id, logitRows.count, positions))
                logitRows.append(contentsOf: first..<(first + positions.count))
            }
            if request.needsLogits {
                let firstRow = tokens.count - 1 - request.draftTokenIDs.count
                for row in firstRow..<tokens.count where (logitRows.last ?? -1) < row { logitRows.append(row) }
                sampledRows.append((request.id, firstRow, request.draftTokenIDs))
            }
        }
        // A step may be all prefill chunks that end mid-prompt; the model still needs one row.
        let batch = ForwardBatch(
            tokens: tokens, positions: positions,
            attention: AttentionMetadata(sequences: sequences, blockSize: cache.blockSize),
            logitRows: logitRows.isEmpty ? [tokens.count - 1] : logitRows)
        let profiler = StepProfiler.shared
        if let stepStart { profiler.add("batch (host)", since: stepStart) }
        let logits = try profiler.measure("forward (enqueue)") { () throws -> Tensor in try model.forward(batch, cache: cache) }
        guard !logitRows.isEmpty else { return ModelRunnerOutput(sampledTokens: [:]) }

        let rowOfToken = Dictionary(logitRows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // Greedy requests without logprobs take the device's argmax: ids come back, not logits.
        // Drafts are verified the greedy way: each is kept while it equals the argmax of its
        // row, and the argmax after the last kept one is the step's own token.
        if promptRows.isEmpty, sampledRows.allSatisfy({ samplers.isPlainGreedy($0.id) }) {
            let best = profiler.measure("argmax + wait") { model.backend.argmaxRows(logits) }
            var sampled: [RequestID: [SampledToken]] = [:]
            for (id, tokenRow, drafts) in sampledRows {
                var accepted: [SampledToken] = []
                for index in 0...drafts.count {
                    let token = best[rowOfToken[tokenRow + index]!]
                    accepted.append(samplers.record(id, token: token))
                    if index == drafts.count || token != drafts[index] { break }
                }
                sampled[id] = accepted
            }
            return ModelRunnerOutput(sampledTokens: sampled)
        }
        // Rows without drafts or logprobs are sampled where the logits are, when the backend can
        // (a GPU), penalties and all: ids come back instead of 128k floats a row. Only the
        // other rows' logits are downloaded, for the host's sampler.
        if promptRows.isEmpty, !Self.hostSamplingForced, let device = model.backend as? any DeviceSampling {
            let vocabulary = model.vocabularySize
            let draws = sampledRows.map { $0.drafts.isEmpty ? samplers.deviceDraw($0.id, vocabularySize: vocabulary) : nil }
            if draws.contains(where: { $0 != nil }) {
                // Rows sampled on the host get a greedy row without adjustments: their logits stay as they are.
                var rows = [DeviceSamplingRow](repeating: DeviceSamplingRow(temperature: 0, seed: 0, step: 0), count: logitRows.count)
                for (entry, draw) in zip(sampledRows, draws) {
                    if let draw { rows[rowOfToken[entry.tokenRow]!] = Self.deviceRow(draw) }
                }
                let tokens = profiler.measure("sample + wait") { device.sampleRows(logits, rows: rows) }
                var sampled: [RequestID: [SampledToken]] = [:]
                for (entry, draw) in zip(sampledRows, draws) where draw != nil {
                    sampled[entry.id] = [samplers.record(entry.id, token: tokens[rowOfToken[entry.tokenRow]!])]
                }
                // The host rows come back in one download: the span from the first to the last
                // (a request's rows, its token's and its drafts', are contiguous).
                let hostRows = zip(sampledRows, draws).filter { $1 == nil }.map { entry, _ in
                    let first = rowOfToken[entry.tokenRow]!
                    return (entry: entry, rows: first..<(first + entry.drafts.count + 1))
                }
                if let low = hostRows.map(\.rows.lowerBound).min(), let high = hostRows.map(\.rows.upperBound).max() {
                    var values = profiler.measure("logits + wait") { model.backend.readFloats(logits.slice(low..<high)) }
                    values.withUnsafeMutableBufferPointer { span in
                        for (entry, rows) in hostRows {
                            let own = UnsafeMutableBufferPointer(rebasing: span[((rows.lowerBound - low) * vocabulary)..<((rows.upperBound - low) * vocabulary)])
                            sampled[entry.id] = sampleOnHost(entry, logits: own, vocabulary: vocabulary)
                        }
                    }
                }
                return ModelRunnerOutput(sampledTokens: sampled)
            }
        }
        var values = profiler.measure("logits + wait") { model.backend.readFloats(logits) }
        let vocabulary = model.vocabularySize
        let promptLogprobs = promptRows.reduce(into: [RequestID: [PositionLogprobs?]]()) { result, entry in
            result[entry.id] = scorePrompt(entry, values: values, vocabulary: vocabulary)
        }
        var sampled: [RequestID: [SampledToken]] = [:]
        values.withUnsafeMutableBufferPointer { all in
            for entry in sampledRows {
                let first = rowOfToken[entry.tokenRow]!
                let rows = UnsafeMutableBufferPointer(rebasing: all[(first * vocabulary)..<((first + entry.drafts.count + 1) * vocabulary)])
                sampled[entry.id] = sampleOnHost(entry, logits: rows, vocabulary: vocabulary)
            }
        }
        return ModelRunnerOutput(sampledTokens: sampled, promptLogprobs: promptLogprobs)
    }

    /// Samples one request on the host from `logits`, its rows (its token's, then one per
    /// draft), which are used as scratch: a plain draw, or the drafts' verification.
    private func sampleOnHost(
        _ entry: (id: RequestID, tokenRow: Int, drafts: [Int]), logits: UnsafeMutableBufferPointer<Float>, vocabulary: Int
    ) -> [SampledToken] {
        func row(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: logits[(index * vocabulary)..<((index + 1) * vocabulary)])
        }
        return entry.drafts.isEmpty
            ? [samplers.sample(entry.id, logits: row(0))]
            : samplers.verify(entry.id, drafts: entry.drafts) { row($0) }
    }

    /// The device's form of a request's draw.
    public static func deviceRow(_ draw: RequestSampler.DeviceDraw) -> DeviceSamplingRow {
        DeviceSamplingRow(
            temperature: draw.temperature, topK: draw.topK, topP: draw.topP, minP: draw.minP, seed: draw.seed,
            step: UInt64(draw.outputIndex), repetitionPenalty: draw.repetitionPenalty,
            frequencyPenalty: draw.frequencyPenalty, presencePenalty: draw.presencePenalty,
            adjustments: draw.adjustments.map {
                LogitAdjustment(token: $0.token, outputCount: $0.outputCount, inPrompt: $0.inPrompt, masked: $0.masked, bias: $0.bias)
            })
    }

    /// vLLM's prompt logprobs for the chunk's positions: entry `p` scores prompt token `p`
    /// given the tokens before it, so position 0 has none and the logits of position `p - 1`
    /// score token `p`.
    private func scorePrompt(
        _ entry: (id: RequestID, firstRow: Int, positions: Range<Int>), values: [Float], vocabulary: Int
    ) -> [PositionLogprobs?] {
        guard let wanted = promptLogprobRequests[entry.id] else { return [] }
        var result: [PositionLogprobs?] = entry.positions.lowerBound == 0 ? [nil] : []
        for (offset, position) in entry.positions.enumerated() where position + 1 < wanted.prompt.count {
            let row = entry.firstRow + offset
            let logprobs = values[row * vocabulary..<(row + 1) * vocabulary].withUnsafeBufferPointer {
                LogitsProcessing.logSoftmax($0)
            }
            result.append(logprobs.withUnsafeBufferPointer {
                LogitsProcessing.positionLogprobs($0, chosen: wanted.prompt[position + 1], topCount: wanted.topCount)
            })
        }
        return result
    }
}
