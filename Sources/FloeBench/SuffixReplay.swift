import FloeEngine
import Foundation

/// Replays prompt/response pairs through a `SuffixDecodingCache` the way Arctic's simulator
/// (`suffix_decoding/simulator.py`, spec §5.6) does: responses of a training split warm the
/// global cache; each evaluation example then decodes its true response step by step —
/// speculate from the last `maxDepth` tokens, accept the draft's longest prefix that matches
/// the truth (following matching children for tree drafts), add the accepted tokens plus the
/// one true token a target model would emit. Times every cache call.
public enum SuffixReplay {
    public struct Parameters: Sendable, Codable, Equatable {
        public var maxDepth = 64
        /// 0: `maxDepth`.
        public var maxSpecTokens = 16
        public var maxSpecFactor: Float = 1
        public var maxSpecOffset: Float = 0
        public var minTokenProbability: Float = 0.1
        public var usesTreeSpeculation = false
        public var maxCachedRequests = -1

        public init() {}
    }

    public struct Example: Sendable {
        public var prompt: [Int32]
        public var response: [Int32]
        public init(prompt: [Int32], response: [Int32]) {
            self.prompt = prompt
            self.response = response
        }
    }

    public struct Result: Sendable, Codable {
        public var parameters: Parameters
        public var evaluatedExamples = 0
        public var steps = 0
        public var outputTokens = 0
        public var draftedTokens = 0
        public var acceptedTokens = 0
        public var speculateSeconds = 0.0
        public var addedTokens = 0
        public var addSeconds = 0.0
        public var warmTokens = 0
        public var warmSeconds = 0.0
        /// Mean over examples of output tokens per step (Arctic's `req_speedup`).
        public var meanRequestSpeedup = 0.0

        public var acceptanceRate: Double { draftedTokens == 0 ? 0 : Double(acceptedTokens) / Double(draftedTokens) }
        public var microsecondsPerSpeculate: Double { steps == 0 ? 0 : speculateSeconds * 1e6 / Double(steps) }
        public var microsecondsPerAddedToken: Double { addedTokens == 0 ? 0 : addSeconds * 1e6 / Double(addedTokens) }
        public var microsecondsPerWarmToken: Double { warmTokens == 0 ? 0 : warmSeconds * 1e6 / Double(warmTokens) }
    }

    /// Splits each token stream into a prompt (the first `promptFraction`) and a response.
    public static func examples(fromStreams streams: [[Int32]], promptFraction: Double = 0.3) -> [Example] {
        streams.map { stream in
            let cut = Int(Double(stream.count) * promptFraction)
            return Example(prompt: Array(stream[..<cut]), response: Array(stream[cut...]))
        }
    }

    public static func run(train: [Example], evaluate: [Example], parameters: Parameters) throws -> Result {
        var cache = try SuffixDecodingCache<Int>(maxTreeDepth: parameters.maxDepth, maxCachedRequests: parameters.maxCachedRequests)
        var result = Result(parameters: parameters)
        let clock = ContinuousClock()
        // Negative ids for the training split, as Arctic's simulator does.
        for (index, example) in train.enumerated() {
            let start = clock.now
            try cache.startRequest(-1 - index, prompt: example.prompt)
            cache.addActiveResponse(-1 - index, tokens: example.response)
            cache.stopRequest(-1 - index)
            result.warmSeconds += (clock.now - start).seconds
            result.warmTokens += example.prompt.count + example.response.count
        }
        let maxSpecTokens = parameters.maxSpecTokens == 0 ? parameters.maxDepth : parameters.maxSpecTokens
        var speedupSum = 0.0
        for (id, example) in evaluate.enumerated() {
            try cache.startRequest(id, prompt: example.prompt)
            let truth = example.prompt + example.response
            var position = example.prompt.count
            var steps = 0
            while position < truth.count {
                let contextStart = max(position - parameters.maxDepth, 0)
                let start = clock.now
                let draft = cache.speculate(
                    id, context: truth[contextStart..<position], maxSpecTokens: maxSpecTokens, maxSpecFactor: parameters.maxSpecFactor,
                    maxSpecOffset: parameters.maxSpecOffset, minTokenProbability: parameters.minTokenProbability,
                    usesTreeSpeculation: parameters.usesTreeSpeculation)
                result.speculateSeconds += (clock.now - start).seconds
                let accepted = acceptedLength(of: draft, truth: truth, from: position)
                result.draftedTokens += draft.tokenIDs.count
                result.acceptedTokens += accepted
                let newTokens = truth[position..<min(position + accepted + 1, truth.count)]
                let addStart = clock.now
                cache.addActiveResponse(id, tokens: newTokens)
                result.addSeconds += (clock.now - addStart).seconds
                result.addedTokens += newTokens.count
                position += newTokens.count
                steps += 1
            }
            cache.stopRequest(id)
            result.steps += steps
            result.outputTokens += example.response.count
            if steps > 0 { speedupSum += Double(example.response.count) / Double(steps) }
            result.evaluatedExamples += 1
        }
        result.meanRequestSpeedup = evaluate.isEmpty ? 0 : speedupSum / Double(evaluate.count)
        return result
    }

    /// Tokens of `draft` a verifier accepts: walking from the root of the draft tree, each
    /// step takes the child whose token is the true next token.
    static func acceptedLength(of draft: SuffixDraft, truth: [Int32], from position: Int) -> Int {
        var parent: Int32 = -1
        var accepted = 0
        var searchFrom = 0
        while position + accepted < truth.count {
            let wanted = truth[position + accepted]
            guard let next = (searchFrom..<draft.tokenIDs.count).first(where: {
                draft.parents[$0] == parent && draft.tokenIDs[$0] == wanted
            }) else { break }
            parent = Int32(next)
            searchFrom = next + 1
            accepted += 1
        }
        return accepted
    }
}

