import FloeEngine
import FloeModels
import FloeRunner
import Foundation

/// Prefill and decode speed of one model, measured the way `llama-bench` measures (pp/tg):
/// prefill `promptTokens` random tokens into an empty cache; decode `generatedTokens` tokens one
/// at a time from a one-token context. Best of `repetitions` after one warm-up. The prompt goes
/// through the model `prefillChunk` tokens at a time (llama-bench's `-ub`, 512 by default there).
public enum ModelThroughput {
    public struct Result: Sendable, Codable {
        public var prefillTokensPerSecond: Double
        public var decodeTokensPerSecond: Double
    }

    public static func measure(
        model: any CausalLM, promptTokens: Int, generatedTokens: Int, repetitions: Int, prefillChunk: Int = 512
    ) throws -> Result {
        var generatorSeed = SeededGenerator(seed: 1234)
        let prompt = (0..<promptTokens).map { _ in Int(generatorSeed.next() % UInt64(model.vocabularySize)) }
        let generator = SingleSequenceGenerator(
            model: model, contextCapacity: max(promptTokens, generatedTokens + 1), blockSize: 16)
        var best = Result(prefillTokensPerSecond: 0, decodeTokensPerSecond: 0)
        for repetition in 0...repetitions {
            let prefill = try generator.generate(
                prompt: prompt, params: SamplingParams(temperature: 0, maxTokens: 1), prefillChunk: prefillChunk)
            let decode = try generator.generate(
                prompt: [prompt[0]], params: SamplingParams(temperature: 0, maxTokens: generatedTokens + 1))
            if repetition == 0 { continue }  // warm-up: page in the weights, grow scratch buffers
            best.prefillTokensPerSecond = max(best.prefillTokensPerSecond, prefill.prefillTokensPerSecond)
            best.decodeTokensPerSecond = max(best.decodeTokensPerSecond, decode.decodeTokensPerSecond)
        }
        return best
    }
}
