import FloeEngine
import Foundation

/// `--speculative-config` parsing: the one place the JSON becomes a `SpeculativeConfig`, for
/// `floe serve`, `generate`, `bench-offline` and the offline API alike.
extension SpeculativeConfig {
    static let knownKeys: Set<String> = [
        "method", "num_speculative_tokens", "disable_by_batch_size", "hard_disable_by_batch_size",
        "suffix_cache_max_depth", "suffix_speculative_tokens", "suffix_cache_max_requests", "suffix_max_spec_factor",
        "suffix_max_spec_offset", "suffix_min_token_prob", "enable_suffix_decoding",
    ]

    /// Parses Arctic's JSON keys; defaults are Arctic's. Unknown keys, wrong types and invalid
    /// values are errors naming the key.
    public init(json: String) throws(SpeculativeConfigError) {
        guard let dictionary = try? JSONDecoder().decode([String: Scalar].self, from: Data(json.utf8)) else {
            throw .invalid("expected a JSON object of numbers, strings and booleans such as {\"method\": \"suffix\"}, got \(json)")
        }
        let unknown = Set(dictionary.keys).subtracting(Self.knownKeys)
        guard unknown.isEmpty else {
            throw .invalid("unknown key(s) \(unknown.sorted().joined(separator: ", ")); known: \(Self.knownKeys.sorted().joined(separator: ", "))")
        }
        self.init()
        let method = try Self.string(dictionary, "method") ?? "suffix"
        guard let parsed = Method(rawValue: method) else {
            throw .invalid("method \"\(method)\" is not supported; only \"suffix\" is built")
        }
        self.method = parsed
        if let enabled = try Self.bool(dictionary, "enable_suffix_decoding"), !enabled {
            throw .invalid("enable_suffix_decoding false with method \"suffix\" leaves nothing to speculate with")
        }
        suffixSpeculativeTokens = try Self.int(dictionary, "suffix_speculative_tokens") ?? suffixSpeculativeTokens
        // Arctic (suffix only): suffix_speculative_tokens if > 0, else the user's value, else 16.
        numSpeculativeTokens = try Self.int(dictionary, "num_speculative_tokens") ?? numSpeculativeTokens
        if dictionary.keys.contains("disable_by_batch_size") { disableByBatchSize = try Self.int(dictionary, "disable_by_batch_size") }
        hardDisableByBatchSize = try Self.int(dictionary, "hard_disable_by_batch_size")
        suffixCacheMaxDepth = try Self.int(dictionary, "suffix_cache_max_depth") ?? suffixCacheMaxDepth
        suffixCacheMaxRequests = try Self.int(dictionary, "suffix_cache_max_requests") ?? suffixCacheMaxRequests
        suffixMaxSpecFactor = try Self.float(dictionary, "suffix_max_spec_factor") ?? suffixMaxSpecFactor
        suffixMaxSpecOffset = try Self.float(dictionary, "suffix_max_spec_offset") ?? suffixMaxSpecOffset
        suffixMinTokenProbability = try Self.float(dictionary, "suffix_min_token_prob") ?? suffixMinTokenProbability
        try validate()
    }

    /// A JSON scalar: enough to tell `true` from `1` (Foundation's NSNumber cannot on Linux).
    private enum Scalar: Decodable {
        case bool(Bool), number(Double), string(String), null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else { self = .string(try container.decode(String.self)) }
        }
    }

    private static func int(_ dictionary: [String: Scalar], _ key: String) throws(SpeculativeConfigError) -> Int? {
        switch dictionary[key] {
        case nil, .null?: return nil
        case .number(let value)?:
            guard let integer = Int(exactly: value) else { throw .invalid("\(key) must be an integer, got \(value)") }
            return integer
        case let other?: throw .invalid("\(key) must be an integer, got \(other)")
        }
    }

    private static func float(_ dictionary: [String: Scalar], _ key: String) throws(SpeculativeConfigError) -> Float? {
        switch dictionary[key] {
        case nil, .null?: return nil
        case .number(let value)?: return Float(value)
        case let other?: throw .invalid("\(key) must be a number, got \(other)")
        }
    }

    private static func string(_ dictionary: [String: Scalar], _ key: String) throws(SpeculativeConfigError) -> String? {
        switch dictionary[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw .invalid("\(key) must be a string, got \(other)")
        }
    }

    private static func bool(_ dictionary: [String: Scalar], _ key: String) throws(SpeculativeConfigError) -> Bool? {
        switch dictionary[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw .invalid("\(key) must be true or false, got \(other)")
        }
    }
}
