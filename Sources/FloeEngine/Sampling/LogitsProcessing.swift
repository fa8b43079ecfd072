import Foundation

/// The steps of vLLM's sampler as functions over one row of logits, in place. `RequestSampler`
/// composes them; runners may also use them directly (e.g. `positionLogprobs` for prompt
/// logprobs).
public enum LogitsProcessing {
    /// Sets the logits of `tokens` to -infinity (ids outside the vocabulary are ignored).
    public static func mask(_ logits: UnsafeMutableBufferPointer<Float>, tokens: some Sequence<Int>) {
        for token in tokens where logits.indices.contains(token) { logits[token] = -.infinity }
    }

    /// Adds each bias to its token's logit (ids outside the vocabulary are ignored).
    public static func applyLogitBias(_ logits: UnsafeMutableBufferPointer<Float>, bias: [Int: Float]) {
        for (token, value) in bias where logits.indices.contains(token) { logits[token] += value }
    }

    /// vLLM's penalties: the repetition penalty once per distinct token seen in the prompt or
    /// the output (dividing positive logits, multiplying negative ones, so it always pushes
    /// away from the token), then the frequency penalty per output occurrence and the presence
    /// penalty once per distinct output token.
    public static func applyPenalties(
        _ logits: UnsafeMutableBufferPointer<Float>, promptTokens: Set<Int>, outputCounts: [Int: Int],
        repetition: Float, frequency: Float, presence: Float
    ) {
        if repetition != 1 {
            func penalize(_ token: Int) {
                guard logits.indices.contains(token) else { return }
                logits[token] = logits[token] > 0 ? logits[token] / repetition : logits[token] * repetition
            }
            for token in promptTokens { penalize(token) }
            for token in outputCounts.keys where !promptTokens.contains(token) { penalize(token) }
        }
        guard frequency != 0 || presence != 0 else { return }
        for (token, count) in outputCounts where logits.indices.contains(token) && count > 0 {
            logits[token] -= frequency * Float(count) + presence
        }
    }

    /// The first index of the largest logit (lowest id on ties, as greedy decoding wants).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int { Sampler.argmax(logits) }

    /// log Σ exp(logits), stable for large values; -infinity when every logit is.
    public static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Float {
        let maximum = logits.max() ?? -.infinity
        guard maximum.isFinite else { return maximum }
        var sum: Float = 0
        for value in logits { sum += expf(value - maximum) }
        return maximum + logf(sum)
    }

    /// The log-softmax of `logits`, a new array.
    public static func logSoftmax(_ logits: UnsafeBufferPointer<Float>) -> [Float] {
        let normalizer = logSumExp(logits)
        return logits.map { $0 - normalizer }
    }

    /// The chosen token's entry and the `topCount` most likely tokens of a row of
    /// log-probabilities; ranks count tokens strictly more likely, plus one.
    public static func positionLogprobs(
        _ logprobs: UnsafeBufferPointer<Float>, chosen: Int, topCount: Int
    ) -> PositionLogprobs {
        let chosenValue = logprobs[chosen]
        let better = logprobs.reduce(0) { $1 > chosenValue ? $0 + 1 : $0 }
        let order: (Int, Int) -> Bool = { logprobs[$0] > logprobs[$1] || (logprobs[$0] == logprobs[$1] && $0 < $1) }
        let top = topCount > 0 ? Array(logprobs.indices).partialSorted(k: min(topCount, logprobs.count), by: order) : []
        return PositionLogprobs(
            chosen: TokenLogprob(tokenID: chosen, logprob: chosenValue, rank: better + 1),
            top: top.enumerated().map { TokenLogprob(tokenID: $1, logprob: logprobs[$1], rank: $0 + 1) })
    }

    /// The tokens that survive temperature-scaled min-p, top-k and top-p truncation (vLLM's
    /// order), most likely first, with their unnormalized weights exp(logit − max).
    ///
    /// Tokens more than 60 nats below the best are dropped up front: their weights (< 1e-26)
    /// cannot change a float32 cumulative sum or a 24-bit draw, and skipping them avoids
    /// sorting the whole vocabulary for top-p.
    public static func truncatedCandidates(
        _ scaledLogits: UnsafeBufferPointer<Float>, minP: Float, topK: Int, topP: Float
    ) -> (tokens: [Int], weights: [Float]) {
        let maximum = scaledLogits.max() ?? 0
        var floor = maximum - 60
        if minP > 0 { floor = max(floor, maximum + logf(minP)) }
        var tokens = scaledLogits.indices.filter { scaledLogits[$0] >= floor }
        let order: (Int, Int) -> Bool = {
            scaledLogits[$0] > scaledLogits[$1] || (scaledLogits[$0] == scaledLogits[$1] && $0 < $1)
        }
        if topK > 0, topK < tokens.count {
            tokens = Array(tokens.partialSorted(k: topK, by: order))
        } else {
            tokens.sort(by: order)
        }
        var weights = tokens.map { expf(scaledLogits[$0] - maximum) }
        if topP < 1 {
            let total = weights.reduce(0, +)
            var cumulative: Float = 0
            for (index, weight) in weights.enumerated() {
                cumulative += weight / total
                // Keep the token that crosses top_p: the smallest set whose mass reaches it.
                if cumulative >= topP {
                    tokens.removeSubrange((index + 1)...)
                    weights.removeSubrange((index + 1)...)
                    break
                }
            }
        }
        return (tokens, weights)
    }
}
