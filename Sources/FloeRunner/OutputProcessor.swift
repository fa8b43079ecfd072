import FloeEngine
import FloeTokenizers

/// Turns a request's token outputs into text off the engine thread: incremental
/// detokenization per sample, then stop strings, which end the sample through the engine.
struct OutputProcessor {
    private var detokenizers: [IncrementalDetokenizer]
    private var matchers: [StopStringMatcher]
    private(set) var samples: [Completion.Sample]
    private(set) var promptLogprobs: [PositionLogprobs?] = []

    init(tokenizer: Tokenizer, params: SamplingParams) {
        detokenizers = Array(repeating: IncrementalDetokenizer(tokenizer: tokenizer, skipSpecialTokens: true), count: params.n)
        matchers = Array(repeating: StopStringMatcher(params: params), count: params.n)
        samples = Array(repeating: Completion.Sample(text: "", tokenIDs: [], finishReason: nil, logprobs: []), count: params.n)
    }

    /// Processes one engine output; returns the text delta and whether a stop string matched
    /// (the caller then finishes that sample in the engine).
    mutating func process(_ output: RequestOutput) -> (delta: CompletionDelta, stoppedByString: Bool) {
        let index = output.sampleIndex
        if index == 0 { promptLogprobs += output.promptLogprobs }
        var text = ""
        var stopped = false
        if !matchers[index].isStopped {
            for token in output.newTokenIDs {
                let step = matchers[index].append(detokenizers[index].append(token))
                text += step.text
                if let match = step.matchedStopString {
                    samples[index].stopString = match
                    stopped = true
                    break
                }
            }
            if output.finishReason != nil, !stopped {
                text += matchers[index].append(detokenizers[index].finish()).text + matchers[index].flush()
            }
        }
        samples[index].text += text
        samples[index].tokenIDs += output.newTokenIDs
        samples[index].logprobs += output.logprobs
        if let reason = output.finishReason { samples[index].finishReason = samples[index].stopString == nil ? reason : .stop }
        return (CompletionDelta(sampleIndex: index, text: text, tokenIDs: output.newTokenIDs, finishReason: output.finishReason,
            logprobs: output.logprobs), stopped)
    }
}
