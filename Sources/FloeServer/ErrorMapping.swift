import FloeEngine
import FloeOpenAI
import FloeRunner
import FloeTokenizers
import Foundation
import Hummingbird

/// The one place that decides which HTTP status and OpenAI error body a failure becomes.
/// Everything else throws whatever it has (engine, sampling, template, decoding errors).
enum ErrorMapping {
    static func openAIError(for error: any Error) -> OpenAIError {
        switch error {
        case let error as OpenAIError:
            return error
        case let error as HTTPError:
            return openAIError(for: error)
        case let error as DecodingError:
            return DecodingErrorMessage.openAIError(error)
        case let error as SamplingError:
            return .badRequest(error.description)
        case let error as LLMError:
            switch error {
            case .noChatTemplate:
                return .badRequest("the model has no chat template; start the server with --chat-template")
            case .emptyPrompt: return .badRequest(error.description, param: "prompt")
            }
        case let error as EngineError:
            switch error {
            case .rejected(.duplicateRequestID), .rejected(.invalidConfig):
                return internalError(error.description)
            case .rejected(let reason):
                return .badRequest(reason.description)
            case .executorFailed:
                return internalError(error.description)
            case .shutDown:
                return OpenAIError(status: 503, message: error.description, type: "ServiceUnavailableError", retryAfter: 1)
            }
        case let error as ChatTemplateError:
            return .badRequest("chat template failed: \(error.description)", param: "messages")
        case is CancellationError:
            return OpenAIError(status: 499, message: "the request was cancelled", type: "CancelledError")
        default:
            return internalError(String(describing: error))
        }
    }

    static func internalError(_ message: String) -> OpenAIError {
        OpenAIError(status: 500, message: message, type: "InternalServerError")
    }

    static let unauthorized = OpenAIError(status: 401, message: "invalid or missing API key", type: "AuthenticationError")

    static func unknownModel(_ name: String) -> OpenAIError {
        OpenAIError(status: 404, message: "the model '\(name)' does not exist", type: "NotFoundError", param: "model")
    }

    static func queueFull(limit: Int) -> OpenAIError {
        OpenAIError(
            status: 429, message: "the server is at capacity (\(limit) requests running or waiting); retry later",
            type: "RateLimitError", retryAfter: 1)
    }
}

extension ErrorMapping {
    /// Errors Hummingbird raises itself (unknown route, body too large).
    static func openAIError(for error: HTTPError) -> OpenAIError {
        let type = switch error.status.code {
        case 404: "NotFoundError"
        case 413: "RequestTooLargeError"
        case 400..<500: "BadRequestError"
        default: "InternalServerError"
        }
        return OpenAIError(status: error.status.code, message: error.body ?? error.status.reasonPhrase, type: type)
    }
}
