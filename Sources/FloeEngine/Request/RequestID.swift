/// Names one request inside the engine. Frontends choose it (e.g. `cmpl-…`); the child
/// requests of an `n > 1` request get derived ids (see `Request.parallelSamples`).
public struct RequestID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// The id of sample `index` of a parallel-sampling request (vLLM's `"{index}_{parent}"`).
    public func child(_ index: Int) -> RequestID { RequestID("\(index)_\(rawValue)") }
}
