/// The free blocks in eviction order, as an intrusive doubly linked list over arrays: O(1)
/// push at either end, pop from the front, and removal from the middle (when a cached free
/// block is hit again and must leave the queue). The front is evicted first, so the tail holds
/// the most recently freed cached blocks: LRU.
struct FreeBlockQueue: Sendable {
    private static let none: Int32 = -1
    private var previous: [Int32]
    private var next: [Int32]
    private var isQueued: [Bool]
    private var head = FreeBlockQueue.none
    private var tail = FreeBlockQueue.none
    private(set) var count = 0

    /// A queue holding every one of `capacity` blocks, in id order.
    init(allOf capacity: Int) {
        previous = Array(repeating: Self.none, count: capacity)
        next = Array(repeating: Self.none, count: capacity)
        isQueued = Array(repeating: false, count: capacity)
        for index in 0..<capacity { append(BlockID(index: index)) }
    }

    func contains(_ block: BlockID) -> Bool { isQueued[block.index] }

    mutating func append(_ block: BlockID) {
        precondition(!isQueued[block.index], "\(block) is already free")
        let index = block.rawValue
        previous[block.index] = tail
        next[block.index] = Self.none
        if tail == Self.none { head = index } else { next[Int(tail)] = index }
        tail = index
        isQueued[block.index] = true
        count += 1
    }

    mutating func prepend(_ block: BlockID) {
        precondition(!isQueued[block.index], "\(block) is already free")
        let index = block.rawValue
        next[block.index] = head
        previous[block.index] = Self.none
        if head == Self.none { tail = index } else { previous[Int(head)] = index }
        head = index
        isQueued[block.index] = true
        count += 1
    }

    mutating func popFirst() -> BlockID? {
        guard head != Self.none else { return nil }
        let block = BlockID(head)
        remove(block)
        return block
    }

    mutating func remove(_ block: BlockID) {
        precondition(isQueued[block.index], "\(block) is not free")
        let before = previous[block.index], after = next[block.index]
        if before == Self.none { head = after } else { next[Int(before)] = after }
        if after == Self.none { tail = before } else { previous[Int(after)] = before }
        previous[block.index] = Self.none
        next[block.index] = Self.none
        isQueued[block.index] = false
        count -= 1
    }

    /// Blocks from front to back (for tests and debugging).
    var blocksInEvictionOrder: [BlockID] {
        var result: [BlockID] = []
        var cursor = head
        while cursor != Self.none {
            result.append(BlockID(cursor))
            cursor = next[Int(cursor)]
        }
        return result
    }
}
