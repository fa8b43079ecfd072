/// HF `TemplateProcessing` for a single sequence: e.g. `<s> $A` (Llama 2) or
/// `<|begin_of_text|> $A` (Llama 3), or `[CLS] $A [SEP]` (BERT).
/// Pair templates are not needed for generation or embeddings and are not modelled.
public struct TemplatePostProcessor: PostProcessor {
    public enum Piece: Sendable, Equatable {
        case sequence
        case special([Int])
    }

    public let single: [Piece]

    public init(single: [Piece]) {
        self.single = single
    }

    public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        // Without special tokens HF keeps only the sequence itself.
        guard addSpecialTokens else { return ids }
        var result: [Int] = []
        result.reserveCapacity(ids.count + single.count)
        for piece in single {
            switch piece {
            case .sequence: result.append(contentsOf: ids)
            case .special(let specialIDs): result.append(contentsOf: specialIDs)
            }
        }
        return result
    }

    /// The special ids the template puts before the sequence (the BOS, if any).
    var leadingSpecialIDs: [Int] {
        var result: [Int] = []
        for piece in single {
            guard case .special(let ids) = piece else { break }
            result.append(contentsOf: ids)
        }
        return result
    }
}
