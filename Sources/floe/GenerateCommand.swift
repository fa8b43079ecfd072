import ArgumentParser
import FloeCPU
import FloeEngine
import FloeModels
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe generate`: load a model, stream a completion of one prompt to stdout, report speed.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt and print prefill and decode speed.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt as a user message in the model's chat template.")
    var chat = false

    @Option(help: "System message to use with --chat.")
    var system: String?

    @Option(name: .customLong("max-tokens"), help: "Maximum number of tokens to generate.")
    var maxTokens = 128

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.7

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the smallest set of tokens reaching this probability.")
    var topP: Float = 1

    @Option(name: .customLong("top-k"), help: "Keep only the k most likely tokens (0 disables).")
    var topK = 0

    @Option(help: "Random seed, for repeatable sampling.")
    var seed: UInt64?

    @Flag(name: .customLong("ignore-eos"), help: "Keep generating past end-of-sequence tokens.")
    var ignoreEOS = false

    @Option(name: .customLong("speculative-config"),
        help: #"Speculative decoding as JSON, e.g. '{"method": "suffix"}' (runs through the engine)."#)
    var speculativeConfig: String?

    func run() async throws {
        let params = SamplingParams(temperature: temperature, topP: topP, topK: topK, seed: seed, maxTokens: maxTokens, ignoreEOS: ignoreEOS)
        do { try params.validate() } catch { throw ValidationError(error.description) }
        let path = try await modelOptions.localPath()
        var llm: LLM?
        if let speculativeConfig {
            let speculative: SpeculativeConfig
            do { speculative = try SpeculativeConfig(json: speculativeConfig) } catch {
                throw ValidationError("--speculative-config: \(error)")
            }
            var options = EngineOptions(kvCacheBytes: 256 << 20, speculative: speculative)
            options.gpuMemoryUtilization = try modelOptions.deviceOptions.gpuMemoryUtilizationForEngine()
            llm = try LLM(model: path, backend: modelOptions.makeBackend(), options: options)
        }
        let loaded = try llm?.loaded ?? modelOptions.load(path: path)
        let text: String
        if chat {
            guard let template = loaded.chatTemplate else {
                throw ValidationError("--chat: \(modelOptions.model) has no chat template")
            }
            var messages: [ChatMessage] = []
            if let system { messages.append(ChatMessage(role: "system", system)) }
            messages.append(ChatMessage(role: "user", prompt))
            text = try loaded.renderChat(template: template, messages: messages)
        } else {
            text = prompt
        }
        // A rendered chat template already spells out its special tokens (such as BOS).
        let ids = loaded.tokenizer.encode(text, addSpecialTokens: !chat)
        if let llm { return try await generateWithEngine(llm, ids: ids, params: params) }
        let generator = SingleSequenceGenerator(
            model: loaded.model, contextCapacity: min(loaded.model.maxPositions, ids.count + maxTokens))
        var detokenizer = IncrementalDetokenizer(tokenizer: loaded.tokenizer, skipSpecialTokens: true)
        let output = FileHandle.standardOutput
        if !chat { output.write(Data(prompt.utf8)) }
        let statistics = try generator.generate(
            prompt: ids, params: params, stopTokens: ignoreEOS ? [] : loaded.stopTokenIDs
        ) { token in
            let piece = detokenizer.append(token)
            if !piece.isEmpty { output.write(Data(piece.utf8)) }
            return true
        }
        output.write(Data((detokenizer.finish() + "\n").utf8))
        let report = String(
            format: "\nprefill: %d tokens, %.1f tokens/s | decode: %d tokens, %.1f tokens/s | %@ (%d threads)\n",
            statistics.promptTokens, statistics.prefillTokensPerSecond, statistics.generatedTokens,
            statistics.decodeTokensPerSecond, loaded.model.backend.name, modelOptions.resolvedThreads)
        FileHandle.standardError.write(Data(report.utf8))
    }

    /// The engine path (speculative decoding lives in the scheduler): streams the text, then
    /// reports speed and the speculative counters.
    private func generateWithEngine(_ llm: LLM, ids: [Int], params: SamplingParams) async throws {
        let output = FileHandle.standardOutput
        if !chat { output.write(Data(prompt.utf8)) }
        let start = DispatchTime.now()
        var tokens = 0
        for try await delta in try llm.stream(promptTokenIDs: ids, sampling: params) {
            tokens += delta.tokenIDs.count
            if !delta.text.isEmpty { output.write(Data(delta.text.utf8)) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        output.write(Data("\n".utf8))
        let report = String(
            format: "\n%d tokens in %.2f s (%.1f tokens/s, prefill included) | %@ (%d threads)\n%@\n", tokens, seconds,
            Double(tokens) / seconds, llm.loaded.model.backend.name, modelOptions.resolvedThreads,
            SpeculativeReport(llm.stats.speculative).description)
        FileHandle.standardError.write(Data(report.utf8))
    }
}
