import FloeGRPC
import FloeRunner
import Foundation
import GRPCCore

/// Arctic Inference's embedding `InferenceService` (docs/arctic-inference.md §7.3) over one
/// `EmbeddingEngine`: behaviour as Arctic's replica, so Arctic's clients work unchanged.
///
/// As in Arctic, a request's problems (count mismatches, another model name, malformed token
/// bytes, over-long or empty prompts) come back in the response's `error` field with status OK;
/// a full queue or a stopped engine is a gRPC `UNAVAILABLE`. Prompts are tokenized with
/// truncation to the model's limit, as Arctic's batched tokenizer call (`truncation=True`).
struct ArcticInferenceService: ArcticInference_InferenceService.SimpleServiceProtocol {
    let engine: EmbeddingEngine
    let modelName: String

    func encode(request: ArcticInference_EncodeRequest, context: ServerContext) async throws -> ArcticInference_EncodeResponse {
        var response = ArcticInference_EncodeResponse()
        response.requestID = request.requestID
        response.nPrompts = request.nPrompts
        let inputs: [EmbeddingEngine.Input]
        switch Self.inputs(of: request, modelName: modelName) {
        case .success(let parsed): inputs = parsed
        case .failure(let error):
            response.error = error.message
            return response
        }
        let requestID = request.requestID.isEmpty ? UUID().uuidString : request.requestID
        do {
            let output = try await engine.embed(inputs, truncateTo: engine.model.maxInputTokens, requestID: requestID)
            response.embeddingDim = Int32(output.dimension)
            response.embeddingBytesFp32 = (0..<output.count).map { Self.littleEndianBytes(output.embedding($0)) }
        } catch let error as EmbeddingEngineError {
            switch error {
            case .overloaded, .shutDown: throw RPCError(code: .unavailable, message: error.description)
            case .invalidInput, .aborted, .duplicateRequestID, .modelFailed: response.error = error.description
            }
        }
        return response
    }

    struct RequestProblem: Error { let message: String }

    /// The prompts of `request`, or the message Arctic's replica gives for what is wrong.
    static func inputs(of request: ArcticInference_EncodeRequest, modelName: String) -> Result<[EmbeddingEngine.Input], RequestProblem> {
        let count = Int(request.nPrompts)
        if count <= 0 { return .failure(RequestProblem(message: "n_prompts is required")) }
        if !request.modelName.isEmpty && request.modelName != modelName {
            return .failure(RequestProblem(message: "Expected model name \(modelName), got \(request.modelName)"))
        }
        if !request.tokenIDBytesI32.isEmpty {
            if request.tokenIDBytesI32.count != count {
                return .failure(RequestProblem(message: "Expected \(count) prompts, got \(request.tokenIDBytesI32.count)"))
            }
            var inputs: [EmbeddingEngine.Input] = []
            inputs.reserveCapacity(count)
            for (index, bytes) in request.tokenIDBytesI32.enumerated() {
                guard bytes.count % 4 == 0 else {
                    return .failure(RequestProblem(
                        message: "token_id_bytes_i32[\(index)] has \(bytes.count) bytes, not a whole number of little-endian int32 ids"))
                }
                inputs.append(.tokens(bytes.withUnsafeBytes { raw in
                    (0..<bytes.count / 4).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
                }))
            }
            return .success(inputs)
        }
        if request.prompts.count != count {
            return .failure(RequestProblem(message: "Expected \(count) prompts, got \(request.prompts.count)"))
        }
        if let empty = request.prompts.firstIndex(where: \.isEmpty) {
            return .failure(RequestProblem(message: "prompts[\(empty)] is empty"))
        }
        return .success(request.prompts.map(EmbeddingEngine.Input.text))
    }

    static func littleEndianBytes(_ values: ArraySlice<Float>) -> Data {
        var data = Data(count: values.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (offset, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * offset, as: UInt32.self)
            }
        }
        return data
    }

    func abort(request: ArcticInference_AbortRequest, context: ServerContext) async throws -> ArcticInference_AbortResponse {
        var response = ArcticInference_AbortResponse()
        response.success = engine.abort(request.requestID)
        response.message = response.success ? "Request \(request.requestID) aborted" : "Request \(request.requestID) not found"
        return response
    }

    func getReplicaInfo(request: ArcticInference_ReplicaInfoRequest, context: ServerContext) async throws -> ArcticInference_ReplicaInfoResponse {
        var info = ArcticInference_SingleReplicaInfoResponse()
        info.modelName = modelName
        info.task = "embed"
        info.dtype = "float32"
        info.ready = true
        info.parallelConfig = "tensor_parallel_size=1"
        info.schedulerConfig = "max_batch_tokens=\(engine.options.maxBatchTokens), max_queued_sequences=\(engine.options.maxQueuedSequences), max_seq_length=\(engine.model.maxInputTokens)"
        var response = ArcticInference_ReplicaInfoResponse()
        response.replicaInfos = [info]
        response.nReplicas = 1
        response.nHealthyReplicas = 1
        return response
    }

    func healthCheck(request: ArcticInference_HealthCheckRequest, context: ServerContext) async throws -> ArcticInference_HealthCheckResponse {
        var response = ArcticInference_HealthCheckResponse()
        response.healthy = true
        response.message = "OK"
        return response
    }
}
