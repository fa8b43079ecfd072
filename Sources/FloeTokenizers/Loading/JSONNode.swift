import Foundation

/// Typed, path-aware access to a `JSONSerialization` tree, so that every malformed field turns
/// into a `TokenizerError` naming where it is instead of a failed cast.
struct JSONNode {
    let value: Any
    let path: String

    static func parse(_ data: Data) throws(TokenizerError) -> JSONNode {
        do {
            return JSONNode(value: try JSONSerialization.jsonObject(with: data), path: "")
        } catch {
            throw .invalidJSON(String(describing: error))
        }
    }

    var isNull: Bool { value is NSNull }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func object() throws(TokenizerError) -> [String: Any] {
        guard let object = value as? [String: Any] else {
            throw .invalidField(path.isEmpty ? "<root>" : path, reason: "expected an object")
        }
        return object
    }

    /// The child at `key`, or nil when absent or null.
    func optional(_ key: String) throws(TokenizerError) -> JSONNode? {
        guard let child = try object()[key], !(child is NSNull) else { return nil }
        return JSONNode(value: child, path: childPath(key))
    }

    func required(_ key: String) throws(TokenizerError) -> JSONNode {
        guard let child = try optional(key) else { throw .missingField(childPath(key)) }
        return child
    }

    func string() throws(TokenizerError) -> String {
        guard let string = value as? String else { throw .invalidField(path, reason: "expected a string") }
        return string
    }

    func int() throws(TokenizerError) -> Int {
        guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue)
        else { throw .invalidField(path, reason: "expected an integer") }
        return int
    }

    func bool() throws(TokenizerError) -> Bool {
        guard let bool = value as? Bool else { throw .invalidField(path, reason: "expected a boolean") }
        return bool
    }

    func array() throws(TokenizerError) -> [JSONNode] {
        guard let array = value as? [Any] else { throw .invalidField(path, reason: "expected an array") }
        return array.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
    }

    func string(_ key: String) throws(TokenizerError) -> String { try required(key).string() }

    func optionalString(_ key: String) throws(TokenizerError) -> String? { try optional(key)?.string() }

    func bool(_ key: String, default fallback: Bool) throws(TokenizerError) -> Bool {
        try optional(key)?.bool() ?? fallback
    }

    /// The `type` tag of a component.
    func type() throws(TokenizerError) -> String { try string("type") }
}
