import Foundation

/// Turns `JSONDecoder` failures into messages that name the offending field, as clients need to
/// fix their request (`'temperature': expected a number`).
public enum DecodingErrorMessage {
    public static func openAIError(_ error: DecodingError) -> OpenAIError {
        switch error {
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return .badRequest("the body must be a JSON object")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("'\(field)': expected \(describe(type)) (\(context.debugDescription))", param: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("'\(field)': expected \(describe(type)), got null", param: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("'\(field)' is required", param: field)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .badRequest("the body is not valid JSON") }
            let field = path(context.codingPath)
            return .badRequest("'\(field)': \(context.debugDescription)", param: field)
        @unknown default:
            return .badRequest("invalid request body")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type: "an integer"
        case is Float.Type, is Double.Type: "a number"
        default: "\(type)"
        }
    }
}
