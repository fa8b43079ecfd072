import FloeEngine
import FloeOpenAI
import FloeRunner
import FloeTokenizers
import Foundation
import Hummingbird
import Synchronization

/// The state every route shares (the model, the config, metrics, admission) and the helpers
/// that turn requests into engine work. Routes live in extensions, one file per family.
final class OpenAIService: Sendable {
    let llm: LLM
    let config: ServerConfig
    let modelPath: String
    let metrics: ServerMetrics
    let admission: AdmissionControl
    let startTime = Int(Date().timeIntervalSince1970)
    private let requestCounter = Atomic<Int>(0)

    init(llm: LLM, modelPath: String, config: ServerConfig) {
        self.llm = llm
        self.modelPath = modelPath
        self.config = config
        metrics = ServerMetrics(model: config.servedModelNames.first ?? modelPath)
        admission = AdmissionControl(maxNumSeqs: llm.engine.config.maxNumSeqs, maxWaitingRequests: config.maxWaitingRequests)
    }

    var modelName: String { config.servedModelNames.first ?? modelPath }
    var maxModelLen: Int { llm.engine.config.maxModelLen }
    var chatTemplate: ChatTemplate? { config.chatTemplate ?? llm.loaded.chatTemplate }

    /// A fresh id suffix; also numbers requests for `--seed`.
    func nextRequestNumber() -> Int { requestCounter.add(1, ordering: .relaxed).newValue }

    /// 404 unless `name` is nil or one of the served names (vLLM lets `model` be omitted).
    func checkModel(_ name: String?) throws(OpenAIError) {
        guard let name, !config.servedModelNames.contains(name) else { return }
        throw ErrorMapping.unknownModel(name)
    }

    /// Decodes a JSON body; type errors name the field (mapped by `ErrorMapping`).
    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        try JSONDecoder().decode(T.self, from: try await body(request))
    }

    func body(_ request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: config.maxBodyBytes)
        return Data(buffer.readableBytesView)
    }

    /// Engine parameters with the server's defaults: `max_tokens` defaults to `defaultMaxTokens`
    /// (16 for completions, the rest of the context for chat, as vLLM does) and `--seed`.
    func samplingParams(_ fields: SamplingFields, promptTokens: Int, defaultMaxTokens: Int?, number: Int) throws
        -> SamplingParams
    {
        let maxTokens = fields.requestedMaxTokens ?? defaultMaxTokens ?? max(maxModelLen - promptTokens, 1)
        let seed = config.seed.map { $0 &+ UInt64(number) }
        return try fields.samplingParams(maxTokens: maxTokens, defaultSeed: seed)
    }

    /// Prompt ids of each completions prompt, checked against the vocabulary.
    func promptTokenIDs(_ prompt: PromptInput) throws(OpenAIError) -> [[Int]] {
        switch prompt {
        case .texts(let texts):
            return texts.map { llm.tokenizer.encode($0) }
        case .tokenIDLists(let lists):
            let vocabulary = llm.loaded.model.vocabularySize
            for ids in lists {
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                    throw .badRequest("token id \(bad) is out of range [0, \(vocabulary))", param: "prompt")
                }
            }
            return lists
        }
    }

    /// The prompt text `echo` repeats: as sent, or decoded from the ids.
    func promptTexts(_ prompt: PromptInput) -> [String] {
        switch prompt {
        case .texts(let texts): texts
        case .tokenIDLists(let lists): lists.map { llm.tokenizer.decode($0) }
        }
    }

    /// The text of one token as logprobs report it, so that the pieces join to the text.
    /// SentencePiece decoders drop a word's leading space when a token is decoded alone; the
    /// raw piece's `▁` tells it was there.
    var tokenText: @Sendable (Int) -> String {
        { [tokenizer = llm.tokenizer] id in
            let text = tokenizer.decode([id])
            let spaced = tokenizer.token(for: id)?.hasPrefix("\u{2581}") == true && !text.hasPrefix(" ")
            return spaced ? " " + text : text
        }
    }

    /// Renders chat messages with the (possibly overridden) template.
    func renderChat(messages: [TemplateValue], tools: [TemplateValue]?, addGenerationPrompt: Bool) throws -> String {
        guard let template = chatTemplate else { throw LLMError.noChatTemplate }
        var extra: [String: TemplateValue] = [:]
        if let bos = llm.loaded.bosToken { extra["bos_token"] = .string(bos) }
        if let eos = llm.loaded.eosToken { extra["eos_token"] = .string(eos) }
        return try template.render(
            messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt, extraContext: extra)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}
