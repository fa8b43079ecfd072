/// A speculation from suffix trees (Arctic's `Draft`): tokens with, for tree drafts, the index
/// of each token's parent in the draft (-1 for tokens that follow the context directly).
public struct SuffixDraft: Sendable, Equatable {
    public var tokenIDs: [Int32] = []
    public var parents: [Int32] = []
    /// Estimated probability of each token (product of child-count ratios along its path).
    public var probabilities: [Float] = []
    /// Sum of `probabilities`: the expected number of accepted tokens, used to pick drafts.
    public var score: Float = 0
    /// Length of the context suffix the draft continues.
    public var matchLength = 0

    public init() {}

    public var isEmpty: Bool { tokenIDs.isEmpty }
}
