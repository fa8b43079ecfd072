/// Identity of a full block's content in context: the hash of its parent block's hash and its
/// own token ids. Chaining makes equal hashes mean equal whole prefixes, so one dictionary
/// lookup per block finds the longest cached prefix.
///
/// Equality also compares the block's tokens and the parent's hash, so a false hit needs a
/// 64-bit collision of the parent chain *and* identical tokens in this block.
struct BlockHash: Hashable, Sendable {
    let value: UInt64
    let parentValue: UInt64
    let tokens: [Int]

    /// The root of every chain; a real system would fold in model/LoRA identity here.
    static let rootValue: UInt64 = 0x6A09_E667_F3BC_C908

    init(parent: BlockHash?, tokens: [Int]) {
        let parentValue = parent?.value ?? Self.rootValue
        var value = mix64(parentValue ^ UInt64(tokens.count))
        for token in tokens {
            value = mix64(value ^ UInt64(bitPattern: Int64(token)) &+ 0x9E37_79B9_7F4A_7C15)
        }
        self.value = value
        self.parentValue = parentValue
        self.tokens = tokens
    }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
