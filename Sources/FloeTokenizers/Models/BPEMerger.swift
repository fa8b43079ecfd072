/// Applies BPE merges to one word's symbols, lowest rank first, leftmost first on ties.
///
/// A min-heap of candidate pairs with lazy invalidation (as HF's `Word::merge_all`) makes a
/// word of n symbols cost O(n log n) instead of rescanning all pairs after every merge.
struct BPEMerger {
    struct Rule: Sendable {
        var rank: UInt32
        var newID: Int32
    }

    /// Pair (left id, right id) packed into one key.
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    private struct Candidate {
        var rank: UInt32
        var position: Int32
        var newID: Int32

        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    /// Merges `ids` in place.
    static func merge(_ ids: inout [Int32], rules: MergeTable) {
        let n = ids.count
        guard n > 1 else { return }
        // Doubly linked list over positions; `alive[i]` false once merged into its left neighbour.
        var next = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(i + 1) }
            count = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(i - 1) }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)
        var heap: [Candidate] = []
        heap.reserveCapacity(n)
        for i in 0..<(n - 1) {
            if let rule = rules[key(ids[i], ids[i + 1])] {
                push(&heap, Candidate(rank: rule.rank, position: Int32(i), newID: rule.newID))
            }
        }
        while let top = pop(&heap) {
            let pos = Int(top.position)
            guard alive[pos] else { continue }
            let right = Int(next[pos])
            guard right < n else { continue }
            // Stale entry: the pair at `pos` changed since it was pushed.
            guard let rule = rules[key(ids[pos], ids[right])], rule.newID == top.newID else { continue }
            ids[pos] = top.newID
            alive[right] = false
            next[pos] = next[right]
            if Int(next[right]) < n { prev[Int(next[right])] = Int32(pos) }
            let left = Int(prev[pos])
            if left >= 0, let rule = rules[key(ids[left], ids[pos])] {
                push(&heap, Candidate(rank: rule.rank, position: Int32(left), newID: rule.newID))
            }
            let after = Int(next[pos])
            if after < n, let rule = rules[key(ids[pos], ids[after])] {
                push(&heap, Candidate(rank: rule.rank, position: Int32(pos), newID: rule.newID))
            }
        }
        var write = 0
        for i in 0..<n where alive[i] {
            ids[write] = ids[i]
            write += 1
        }
        ids.removeLast(n - write)
    }

    private static func push(_ heap: inout [Candidate], _ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(_ heap: inout [Candidate]) -> Candidate? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var best = left
            if left + 1 < heap.count, heap[left + 1].precedes(heap[left]) { best = left + 1 }
            guard heap[best].precedes(heap[parent]) else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return top
    }
}
