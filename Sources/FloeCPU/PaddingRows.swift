import FloeTensor

extension AttentionMetadata {
    /// Whether `sequence` is a row that only pads a recorded step (`fixedLayout`) to its size:
    /// one query token, a context of 0 tokens, slot -1. It stores nothing and attends to
    /// nothing (its output is zeros), as on the GPU, so the CPU can run padded steps too (the
    /// tests of recorded decode steps do). Without a fixed layout such a sequence stays invalid.
    func isPadding(_ sequence: Sequence) -> Bool {
        fixedLayout != nil && sequence.contextLength == 0 && sequence.queryTokens.count == 1
    }
}
