/// Last stage of encode: adds the model's special tokens (BOS, CLS/SEP ...) around the ids
/// when the caller asks for special tokens (HF `processors`).
public protocol PostProcessor: Sendable {
    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int]
}

/// Applies post-processors in order (HF `Sequence`).
public struct SequencePostProcessor: PostProcessor {
    public let processors: [any PostProcessor]

    public init(_ processors: [any PostProcessor]) {
        self.processors = processors
    }

    public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        processors.reduce(ids) { $1.process($0, addSpecialTokens: addSpecialTokens) }
    }
}

/// HF `ByteLevel` as a post-processor only trims offsets; ids pass through.
public struct PassThroughPostProcessor: PostProcessor {
    public init() {}

    public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] { ids }
}
