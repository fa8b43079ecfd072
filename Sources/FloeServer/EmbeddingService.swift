import FloeOpenAI
import FloeRunner
import Foundation
import Hummingbird

/// The routes of `floe serve` with an embedding model: `POST /v1/embeddings` and the usual
/// `/v1/models`, `/health`. Requests go to one `EmbeddingEngine`, which batches across them.
final class EmbeddingService: Sendable {
    let engine: EmbeddingEngine
    let config: ServerConfig
    let modelPath: String
    let metrics: ServerMetrics
    let startTime = Int(Date().timeIntervalSince1970)

    init(engine: EmbeddingEngine, modelPath: String, config: ServerConfig) {
        self.engine = engine
        self.modelPath = modelPath
        self.config = config
        metrics = ServerMetrics(model: config.servedModelNames.first ?? modelPath)
    }

    var modelName: String { config.servedModelNames.first ?? engine.model.name }

    func embeddings(_ request: Request) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: config.maxBodyBytes)
        let body = try JSONDecoder().decode(EmbeddingRequest.self, from: Data(buffer.readableBytesView))
        if let name = body.model, !config.servedModelNames.contains(name) { throw ErrorMapping.unknownModel(name) }
        let dimension = engine.model.dimension
        if let dimensions = body.dimensions, dimensions != dimension {
            throw OpenAIError.badRequest(
                "this model's embeddings have \(dimension) dimensions and cannot be shortened to \(dimensions)", param: "dimensions")
        }
        if body.inputs.isEmpty { throw OpenAIError.badRequest("'input' is empty", param: "input") }
        let truncateTo: Int?
        switch body.truncatePromptTokens {
        case nil: truncateTo = nil
        case .some(-1): truncateTo = engine.model.maxInputTokens
        case .some(let count) where count >= 1: truncateTo = count
        case .some(let count): throw OpenAIError.badRequest("truncate_prompt_tokens must be -1 or at least 1, got \(count)", param: "truncate_prompt_tokens")
        }
        let inputs = try body.inputs.enumerated().map { index, input throws(OpenAIError) -> EmbeddingEngine.Input in
            switch input {
            case .text(let text):
                // OpenAI refuses empty strings; the model could embed one, but it is almost always a bug.
                if text.isEmpty { throw OpenAIError.badRequest("input \(index) is an empty string", param: "input") }
                return .text(text)
            case .tokenIDs(let ids):
                guard let bad = ids.first(where: { $0 < Int(Int32.min) || $0 > Int(Int32.max) }) else {
                    return .tokens(ids.map { Int32($0) })
                }
                throw OpenAIError.badRequest("token id \(bad) is out of range", param: "input")
            }
        }
        let output: EmbeddingEngine.Output
        do {
            output = try await engine.embed(inputs, truncateTo: truncateTo)
        } catch let error as EmbeddingEngineError {
            throw Self.openAIError(error)
        }
        let items = (0..<output.count).map { index in
            let vector = output.embedding(index)
            return EmbeddingResponse.Item(
                index: index,
                embedding: body.encodingFormat == .base64 ? .base64(EmbeddingResponse.base64(vector)) : .floats(vector))
        }
        let data = try JSONEncoder().encode(EmbeddingResponse(data: items, model: modelName, promptTokens: output.promptTokens))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func openAIError(_ error: EmbeddingEngineError) -> OpenAIError {
        switch error {
        case .invalidInput: .badRequest(error.description, param: "input")
        case .overloaded: OpenAIError(status: 429, message: error.description, type: "RateLimitError", retryAfter: 1)
        case .shutDown: OpenAIError(status: 503, message: error.description, type: "ServiceUnavailableError", retryAfter: 1)
        case .aborted: OpenAIError(status: 499, message: error.description, type: "CancelledError")
        case .duplicateRequestID, .modelFailed: ErrorMapping.internalError(error.description)
        }
    }

    func models() throws -> Response {
        let data = config.servedModelNames.map {
            ModelList.Model(id: $0, created: startTime, root: modelPath, maxModelLen: engine.model.maxInputTokens)
        }
        let json = try JSONEncoder().encode(ModelList(data: data))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}
