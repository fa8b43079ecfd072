import Foundation

/// Samples one request's tokens with vLLM V1's semantics, one logits row at a time.
///
/// Owned by the executor, one per request (built from `NewRequestData`), because vLLM samples
/// in the runner next to the logits. Order of operations, as vLLM's sampler:
/// raw logprobs (if asked) → min_tokens mask → logit bias → repetition/frequency/presence
/// penalties → greedy argmax, or temperature → min_p → top-k → top-p → draw.
///
/// Randomness is counter-based: the draw for output token `i` comes from a generator seeded
/// by (request seed, i). So a request's tokens depend only on its seed and its own tokens —
/// never on which other requests share the batch, on preemption, or on a sampler rebuilt after
/// one.
public struct RequestSampler: Sendable {
    public let params: SamplingParams
    public let seed: UInt64
    private let promptTokens: Set<Int>
    private let minTokensMask: [Int]
    private var outputCounts: [Int: Int] = [:]
    public private(set) var outputCount = 0
    /// `deviceDraw`'s entries, kept up to date as tokens are accepted, so that a step hands
    /// them over without rebuilding them (a long prompt under a repetition penalty is
    /// thousands of entries per request and step).
    private var adjustments = TokenAdjustments()

    /// - Parameters:
    ///   - outputTokenIDs: tokens already generated (a request resumed after preemption).
    ///   - stopTokenIDs: tokens masked until `params.minTokens` tokens exist.
    public init(params: SamplingParams, seed: UInt64, promptTokenIDs: [Int] = [], outputTokenIDs: [Int] = [], stopTokenIDs: Set<Int> = []) {
        self.params = params
        self.seed = seed
        promptTokens = params.repetitionPenalty != 1 ? Set(promptTokenIDs) : []
        minTokensMask = params.minTokens > 0 ? stopTokenIDs.sorted() : []
        // The same sets `verify` uses: prompt tokens only with a repetition penalty, output
        // counts only with some penalty (`accept`), the mask only before min_tokens.
        for token in promptTokens.sorted() { adjustments.update(token) { $0.inPrompt = true } }
        for (token, bias) in params.logitBias.sorted(by: { $0.key < $1.key }) { adjustments.update(token) { $0.bias = bias } }
        for token in minTokensMask { adjustments.update(token) { $0.masked = true } }
        for token in outputTokenIDs { accept(token) }
    }

    /// Records a token appended to the output without sampling it here (e.g. an accepted
    /// speculative draft). `sample` records its own tokens.
    public mutating func accept(_ token: Int) {
        outputCount += 1
        if params.hasPenalties {
            outputCounts[token, default: 0] += 1
            adjustments.update(token) { $0.outputCount += 1 }
        }
        if outputCount == params.minTokens {
            for token in minTokensMask { adjustments.update(token) { $0.masked = false } }
        }
    }

    /// Whether the next token is just the argmax of the raw logits (greedy, no logprobs,
    /// penalties, bias or min_tokens mask), so a device can pick it without sending logits back.
    public var isPlainGreedy: Bool {
        params.isGreedy && params.logprobs == nil && !params.hasPenalties && params.logitBias.isEmpty
            && outputCount >= params.minTokens
    }

    /// The next draw as a device can make it from the logits, the adjustments its history
    /// calls for and the truncation parameters, sending back only the id; nil when the row's
    /// logprobs are wanted (they need the whole row on the host). Greedy requests have
    /// temperature 0.
    public struct DeviceDraw: Sendable, Equatable {
        public var temperature: Float, topK: Int, topP: Float, minP: Float
        public var seed: UInt64, outputIndex: Int
        public var repetitionPenalty: Float, frequencyPenalty: Float, presencePenalty: Float
        /// One entry per token whose logit changes before the draw, in no particular order.
        public var adjustments: [TokenAdjustment]
    }

    /// One token's part in `verify`'s adjustments: masked (min_tokens), biased, in the prompt
    /// (for the repetition penalty), and how often in the output (every penalty).
    public struct TokenAdjustment: Sendable, Equatable {
        public var token: Int
        public var outputCount = 0
        public var inPrompt = false
        public var masked = false
        public var bias: Float?

        public init(token: Int, outputCount: Int = 0, inPrompt: Bool = false, masked: Bool = false, bias: Float? = nil) {
            self.token = token
            self.outputCount = outputCount
            self.inPrompt = inPrompt
            self.masked = masked
            self.bias = bias
        }
    }

    /// The next device draw (see `DeviceDraw`); adjustments of ids outside
    /// `0..<vocabularySize` are left out, as the host ignores them.
    public func deviceDraw(vocabularySize: Int) -> DeviceDraw? {
        guard params.logprobs == nil else { return nil }
        return DeviceDraw(
            temperature: params.isGreedy ? 0 : params.temperature, topK: params.topK, topP: params.topP, minP: params.minP,
            seed: seed, outputIndex: outputCount, repetitionPenalty: params.repetitionPenalty,
            frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty,
            adjustments: adjustments.entries(within: 0..<vocabularySize))
    }

    /// Picks the next token from `logits` (the buffer is used as scratch and left processed)
    /// and records it.
    public mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>) -> SampledToken {
        verify(logits, draft: nil).token
    }

    /// Checks a speculative draft token against the target distribution in `logits` (spec
    /// §4.7, drafts as point masses): greedy requests accept it iff it is the argmax; sampled
    /// ones accept it with probability p(draft), else draw from p with the draft's mass
    /// removed, so the emitted token is distributed exactly as p. Records the emitted token.
    /// With no draft this is plain sampling.
    public mutating func verify(_ logits: UnsafeMutableBufferPointer<Float>, draft: Int?) -> (token: SampledToken, accepted: Bool) {
        var logprobs: [Float]?
        if params.logprobs != nil, params.logprobsMode == .raw {
            logprobs = LogitsProcessing.logSoftmax(UnsafeBufferPointer(logits))
        }
        if outputCount < params.minTokens { LogitsProcessing.mask(logits, tokens: minTokensMask) }
        if !params.logitBias.isEmpty { LogitsProcessing.applyLogitBias(logits, bias: params.logitBias) }
        if params.hasPenalties {
            LogitsProcessing.applyPenalties(
                logits, promptTokens: promptTokens, outputCounts: outputCounts, repetition: params.repetitionPenalty,
                frequency: params.frequencyPenalty, presence: params.presencePenalty)
        }

        let token: Int
        var accepted = false
        if params.isGreedy {
            token = LogitsProcessing.argmax(UnsafeBufferPointer(logits))
            if params.logprobs != nil, params.logprobsMode == .processed {
                logprobs = LogitsProcessing.logSoftmax(UnsafeBufferPointer(logits))
            }
        } else {
            let inverseTemperature = 1 / params.temperature
            for index in logits.indices { logits[index] *= inverseTemperature }
            let (tokens, weights) = LogitsProcessing.truncatedCandidates(
                UnsafeBufferPointer(logits), minP: params.minP, topK: params.topK, topP: params.topP)
            if let draft {
                (token, accepted) = acceptOrRecover(draft: draft, tokens: tokens, weights: weights)
            } else {
                token = draw(from: tokens, weights: weights)
            }
            if params.logprobs != nil, params.logprobsMode == .processed {
                logprobs = processedLogprobs(vocabularySize: logits.count, tokens: tokens, weights: weights)
            }
        }

        let positionLogprobs = logprobs.map { values in
            values.withUnsafeBufferPointer {
                LogitsProcessing.positionLogprobs($0, chosen: token, topCount: params.logprobs ?? 0)
            }
        }
        accept(token)
        if params.isGreedy { accepted = token == draft }
        return (SampledToken(tokenID: token, logprobs: positionLogprobs), accepted)
    }

    /// Accepts `draft` iff u ≤ p(draft), u uniform; otherwise draws from the candidates
    /// without the draft. Both draws come from this output index's own generator.
    private func acceptOrRecover(draft: Int, tokens: [Int], weights: [Float]) -> (Int, Bool) {
        var generator = Self.generator(seed: seed, outputIndex: outputCount)
        let total = weights.reduce(0, +)
        let draftIndex = tokens.firstIndex(of: draft)
        let probability = draftIndex.map { weights[$0] / total } ?? 0
        if generator.nextUnitFloat() <= probability { return (draft, true) }
        var remaining = weights
        if let draftIndex { remaining[draftIndex] = 0 }
        let remainingTotal = remaining.reduce(0, +)
        // Only the draft had mass (p(draft) = 1 yet u > 1 cannot happen): keep it.
        guard remainingTotal > 0 else { return (draft, true) }
        var threshold = generator.nextUnitFloat() * remainingTotal
        for (index, weight) in remaining.enumerated() where weight > 0 {
            threshold -= weight
            if threshold < 0 { return (tokens[index], false) }
        }
        return (tokens[remaining.lastIndex(where: { $0 > 0 })!], false)
    }

    /// The generator for output token `outputIndex`: a fresh stream per (seed, index).
    static func generator(seed: UInt64, outputIndex: Int) -> SeededGenerator {
        SeededGenerator(seed: mix64(seed ^ mix64(UInt64(outputIndex) &+ 0x2545_F491_4F6C_DD1D)))
    }

    private func draw(from tokens: [Int], weights: [Float]) -> Int {
        var generator = Self.generator(seed: seed, outputIndex: outputCount)
        var threshold = generator.nextUnitFloat() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            threshold -= weight
            if threshold < 0 { return tokens[index] }
        }
        return tokens[tokens.count - 1]
    }

    /// Log-probabilities of the distribution the draw used; truncated tokens get -infinity.
    private func processedLogprobs(vocabularySize: Int, tokens: [Int], weights: [Float]) -> [Float] {
        var result = [Float](repeating: -.infinity, count: vocabularySize)
        let logTotal = logf(weights.reduce(0, +))
        for (token, weight) in zip(tokens, weights) { result[token] = logf(weight) - logTotal }
        return result
    }
}

/// A request's `TokenAdjustment`s, one per token, with an index to update them in place. An
/// entry left changing nothing (a mask lifted once min_tokens tokens exist) is removed.
struct TokenAdjustments: Sendable {
    private var entries: [RequestSampler.TokenAdjustment] = []
    private var index: [Int: Int] = [:]
    /// Every token ever listed lies in it, so the common case (all inside the vocabulary)
    /// hands the array over without a pass.
    private var tokenRange: ClosedRange<Int>?

    mutating func update(_ token: Int, _ change: (inout RequestSampler.TokenAdjustment) -> Void) {
        guard let position = index[token] else {
            var entry = RequestSampler.TokenAdjustment(token: token)
            change(&entry)
            guard !entry.isInert else { return }
            index[token] = entries.count
            entries.append(entry)
            tokenRange = tokenRange.map { min($0.lowerBound, token)...max($0.upperBound, token) } ?? token...token
            return
        }
        change(&entries[position])
        guard entries[position].isInert else { return }
        // Swap-remove: the last entry takes this one's place.
        index[token] = nil
        let last = entries.removeLast()
        if position < entries.count {
            entries[position] = last
            index[last.token] = position
        }
    }

    /// The entries whose token is in `vocabulary`.
    func entries(within vocabulary: Range<Int>) -> [RequestSampler.TokenAdjustment] {
        guard let tokenRange, !vocabulary.contains(tokenRange.lowerBound) || !vocabulary.contains(tokenRange.upperBound) else {
            return entries
        }
        return entries.filter { vocabulary.contains($0.token) }
    }
}

extension RequestSampler.TokenAdjustment {
    /// Changes no logit.
    var isInert: Bool { outputCount == 0 && !inPrompt && !masked && bias == nil }
}
