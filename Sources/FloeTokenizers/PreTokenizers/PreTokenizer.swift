/// Second stage of the encode pipeline: splits normalized text into pieces ("words") that the
/// model encodes independently, and may rewrite them (ByteLevel maps bytes to printable
/// characters). Mirrors HF `pre_tokenizers`.
public protocol PreTokenizer: Sendable {
    /// Appends the non-empty pieces of `text` to `pieces`, in order.
    func preTokenize(_ text: String, into pieces: inout [String])
}

/// Runs pre-tokenizers in order, each on every piece the previous one produced (HF `Sequence`).
public struct SequencePreTokenizer: PreTokenizer {
    public let preTokenizers: [any PreTokenizer]

    public init(_ preTokenizers: [any PreTokenizer]) {
        self.preTokenizers = preTokenizers
    }

    public func preTokenize(_ text: String, into pieces: inout [String]) {
        var current = [text]
        for preTokenizer in preTokenizers {
            var next: [String] = []
            next.reserveCapacity(current.count)
            for piece in current {
                preTokenizer.preTokenize(piece, into: &next)
            }
            current = next
        }
        pieces.append(contentsOf: current.lazy.filter { !$0.isEmpty })
    }
}
