/// Typed access to GGUF metadata. Each accessor throws `missingMetadata` when the key is absent
/// and `wrongMetadataType` when it holds something else, so a model never runs on a silently
/// defaulted hyper-parameter; the `default:` forms are for keys that are genuinely optional.
extension GGUFFile {
    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    public func string(_ key: String) throws -> String {
        try typed(key, "string") { if case .string(let v) = $0 { v } else { nil } }
    }

    /// Any integer type whose value fits in `Int`.
    public func int(_ key: String) throws -> Int {
        try typed(key, "integer") { $0.intValue }
    }

    /// A float, or an integer (exactly converted where possible).
    public func float(_ key: String) throws -> Float {
        try typed(key, "number") { $0.floatValue }
    }

    public func bool(_ key: String) throws -> Bool {
        try typed(key, "bool") { if case .bool(let v) = $0 { v } else { nil } }
    }

    public func stringArray(_ key: String) throws -> [String] {
        try array(key, "array of string") { if case .string(let v) = $0 { v } else { nil } }
    }

    public func intArray(_ key: String) throws -> [Int] {
        try array(key, "array of integer") { $0.intValue }
    }

    public func floatArray(_ key: String) throws -> [Float] {
        try array(key, "array of number") { $0.floatValue }
    }

    public func string(_ key: String, default value: String) throws -> String {
        metadata[key] == nil ? value : try string(key)
    }

    public func int(_ key: String, default value: Int) throws -> Int {
        metadata[key] == nil ? value : try int(key)
    }

    public func float(_ key: String, default value: Float) throws -> Float {
        metadata[key] == nil ? value : try float(key)
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        metadata[key] == nil ? value : try bool(key)
    }

    private func typed<T>(_ key: String, _ expected: String, _ convert: (GGUFValue) -> T?) throws -> T {
        guard let value = metadata[key] else { throw WeightsError(.missingMetadata, path: path, key: key) }
        guard let converted = convert(value) else {
            throw WeightsError(.wrongMetadataType(expected: expected, actual: value.typeDescription), path: path, key: key)
        }
        return converted
    }

    private func array<T>(_ key: String, _ expected: String, _ convert: (GGUFValue) -> T?) throws -> [T] {
        try typed(key, expected) { value -> [T]? in
            guard case .array(_, let values) = value else { return nil }
            var result: [T] = []
            result.reserveCapacity(values.count)
            for element in values {
                guard let converted = convert(element) else { return nil }
                result.append(converted)
            }
            return result
        }
    }
}
