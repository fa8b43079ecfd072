import FloeOpenAI
import FloeTokenizers
import Foundation
import Hummingbird

/// `/v1/models`, `/tokenize`, `/detokenize`, `/health`, `/version`, `/metrics`.
extension OpenAIService {
    static let version = "0.1.0"

    func models() throws -> Response {
        let data = config.servedModelNames.map {
            ModelList.Model(id: $0, created: startTime, root: modelPath, maxModelLen: maxModelLen)
        }
        return try Self.json(ModelList(data: data))
    }

    /// vLLM's `/tokenize`: `{"prompt": ...}` or `{"messages": [...]}` (rendered with the chat
    /// template first).
    func tokenize(_ request: Request) async throws -> Response {
        let raw = try await body(request)
        let body = try JSONDecoder().decode(TokenizeRequest.self, from: raw)
        try checkModel(body.model)
        let tokens: [Int]
        if let prompt = body.prompt {
            tokens = llm.tokenizer.encode(prompt, addSpecialTokens: body.addSpecialTokens ?? true)
        } else if case .object(let root) = try TemplateValue(jsonData: raw), case .array(let messages)? = root["messages"] {
            var tools: [TemplateValue]?
            if case .array(let list)? = root["tools"] { tools = list }
            let text = try renderChat(messages: messages, tools: tools, addGenerationPrompt: body.addGenerationPrompt ?? true)
            tokens = llm.tokenizer.encode(text, addSpecialTokens: body.addSpecialTokens ?? false)
        } else {
            throw OpenAIError.badRequest("either 'prompt' or 'messages' is required", param: "prompt")
        }
        let strings = (body.returnTokenStrs ?? false) ? tokens.map { llm.tokenizer.token(for: $0) ?? "" } : nil
        return try Self.json(TokenizeResponse(count: tokens.count, maxModelLen: maxModelLen, tokens: tokens, tokenStrs: strings))
    }

    func detokenize(_ request: Request) async throws -> Response {
        let body = try await decode(DetokenizeRequest.self, request)
        try checkModel(body.model)
        let vocabulary = llm.loaded.model.vocabularySize
        if let bad = body.tokens.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw OpenAIError.badRequest("token id \(bad) is out of range [0, \(vocabulary))", param: "tokens")
        }
        return try Self.json(DetokenizeResponse(prompt: llm.tokenizer.decode(body.tokens)))
    }

    func versionResponse() throws -> Response { try Self.json(["version": Self.version]) }

    func metricsResponse() -> Response {
        let text = metrics.render(engine: llm.stats)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
