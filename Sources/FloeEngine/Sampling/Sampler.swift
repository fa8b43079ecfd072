import Foundation

/// Picks a token from one row of logits: temperature, then top-k, then top-p, then a draw
/// (vLLM's order). Greedy requests take the argmax, lowest id on ties.
public struct Sampler: Sendable {
    public let params: SamplingParams
    private var generator: SeededGenerator

    public init(params: SamplingParams) {
        self.params = params
        generator = SeededGenerator(seed: params.seed ?? UInt64.random(in: .min ... .max))
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        if params.isGreedy { return Self.argmax(logits) }
        let inverseTemperature = 1 / params.temperature
        // Candidates sorted by logit; top-k keeps a prefix, so only that prefix needs sorting.
        var candidates = Array(logits.indices)
        let k = params.topK > 0 ? min(params.topK, logits.count) : logits.count
        if k < logits.count {
            candidates = Array(candidates.partialSorted(k: k) { logits[$0] > logits[$1] })
        } else {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        }
        let maxLogit = logits[candidates[0]]
        var weights = candidates.map { expf((logits[$0] - maxLogit) * inverseTemperature) }
        let total = weights.reduce(0, +)
        if params.topP < 1 {
            var cumulative: Float = 0
            var keep = weights.count
            for (index, weight) in weights.enumerated() {
                cumulative += weight / total
                // Keep the token that crosses top_p (vLLM keeps the smallest set reaching it).
                if cumulative >= params.topP { keep = index + 1; break }
            }
            weights.removeSubrange(keep...)
            candidates.removeSubrange(keep...)
        }
        let kept = weights.reduce(0, +)
        var threshold = generator.nextUnitFloat() * kept
        for (index, weight) in weights.enumerated() {
            threshold -= weight
            if threshold < 0 { return candidates[index] }
        }
        return candidates[candidates.count - 1]
    }

    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (index, value) in logits.enumerated() where value > bestValue {
            best = index
            bestValue = value
        }
        return best
    }
}

extension Array {
    /// The `k` first elements under `areInIncreasingOrder`, sorted (a heap-free selection that
    /// is fast when `k` is small next to the vocabulary).
    func partialSorted(k: Int, by areInIncreasingOrder: (Element, Element) -> Bool) -> ArraySlice<Element> {
        var best: [Element] = []
        best.reserveCapacity(k + 1)
        for element in self {
            if best.count == k, let last = best.last, !areInIncreasingOrder(element, last) { continue }
            let index = best.partitioningIndex { areInIncreasingOrder(element, $0) }
            best.insert(element, at: index)
            if best.count > k { best.removeLast() }
        }
        return best[...]
    }

    private func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
