/// A depth-limited suffix tree over many token sequences, with Arctic Inference's exact
/// semantics (`csrc/suffix_decoding/suffix_tree.cc`, spec §5.2–5.3), so drafts match Arctic's
/// token for token.
///
/// Every suffix of every sequence, cut to `maxDepth` tokens, is a path from the root; a node's
/// `count` is the number of those suffixes that end at it or pass through it. Edges are
/// path-compressed (a node holds `length` tokens, read from one of the sequences that contain
/// them), and each node's children form a list sorted by decreasing count, with runs of equal
/// counts linked as groups so a count change of ±1 moves a node in O(1). The head child is the
/// most likely continuation, which is what `speculate` follows.
///
/// Storage is index-based (nodes, groups and endpoint records in arrays with free lists; the
/// children and endpoint maps of all nodes in two flat hash tables) rather than a heap object
/// per node: no reference counting on the hot path, and memory returns to the free lists when
/// sequences are removed.
public struct SuffixTree: Sendable {
    static let none: Int32 = -1
    static let root: Int32 = 0

    struct Node {
        /// Suffixes ending at or passing through this node.
        var count = 0
        /// First token of the edge (the key in the parent's children).
        var token: Int32 = 0
        var length: Int32 = 0
        /// Edge tokens are `tokens[refSlot][refIndex ..< refIndex + length]`.
        var refSlot: Int32 = 0
        var refIndex: Int32 = -1
        var parent: Int32 = none
        var childCount: Int32 = 0
        var headChild: Int32 = none, tailChild: Int32 = none
        var previousSibling: Int32 = none, nextSibling: Int32 = none
        /// The run of equal-count siblings this node belongs to.
        var group: Int32 = none
        /// Head of this node's endpoint list (suffixes that end here, one per sequence).
        var firstEndpoint: Int32 = none
    }

    /// A run of consecutive siblings with equal counts.
    struct Group {
        var head: Int32
        var previous: Int32 = none, next: Int32 = none
        /// Nodes pointing at this group (Arctic shares groups through `shared_ptr`).
        var members: Int32 = 0
    }

    /// "The suffix of sequence `slot` ending at `end` ends at `node`."
    ///
    /// Records of a sequence's still-growing suffixes are held by its ring of active nodes and
    /// move along with them, with no map lookup; a suffix that stops growing (or whose sequence
    /// is being removed) is committed to `endpointIndex`, keyed (node, sequence). Arctic keeps
    /// one entry per (node, sequence), so a committed record meeting an existing one merges
    /// into it, as Arctic's map assignment does.
    struct Endpoint {
        var slot: Int32
        var end: Int32
        var node: Int32
        var previous: Int32 = none, next: Int32 = none
        var isIndexed = false
    }

    struct Sequence {
        var id: Int32
        /// Ring buffer of the nodes where this sequence's last ≤ maxDepth suffixes end.
        var active: [Int32]
        /// The endpoint record of each active suffix, parallel to `active`.
        var activeRecords: [Int32]
        var activeStart = 0
        var activeCount = 0

        @inline(__always) func activeIndex(_ position: Int) -> Int {
            let index = activeStart + position
            return index < active.count ? index : index - active.count
        }
    }

    public let maxDepth: Int
    var nodes: [Node] = [Node(refIndex: -1)]
    private var freeNodes: [Int32] = []
    var groups: [Group] = []
    private var freeGroups: [Int32] = []
    var endpoints: [Endpoint] = []
    private var freeEndpoints: [Int32] = []
    /// (parent, first token) → child.
    var children = NodeKeyTable()
    /// (node, sequence slot) → endpoint record.
    private var endpointIndex = NodeKeyTable()
    var sequences: [Sequence?] = []
    /// Token arrays by sequence slot (apart from `sequences`, so hot reads copy nothing).
    var tokens: [[Int32]] = []
    private var freeSlots: [Int32] = []
    private var slotsByID: [Int32: Int32] = [:]

    public init(maxDepth: Int) {
        precondition(maxDepth > 0, "a suffix tree needs a positive depth")
        self.maxDepth = maxDepth
    }

    public var sequenceCount: Int { slotsByID.count }
    var freeGroupCount: Int { freeGroups.count }
    var freeEndpointCount: Int { freeEndpoints.count }
    public func contains(sequence id: Int32) -> Bool { slotsByID[id] != nil }
    /// Nodes in the tree, the root included.
    public var nodeCount: Int { nodes.count - freeNodes.count }

    // MARK: Appending

    public mutating func extend(_ id: Int32, with tokens: some Collection<Int32>) {
        for token in tokens { append(id, token) }
    }

    /// Appends `token` to sequence `id` (created if new): every active suffix grows by it.
    public mutating func append(_ id: Int32, _ token: Int32) {
        let slot = slotsByID[id] ?? makeSequence(id)
        let root = Self.root
        // The ring is moved out for the duration, so its updates happen in place.
        var sequence = sequences[Int(slot)]!
        sequences[Int(slot)] = nil
        defer { sequences[Int(slot)] = sequence }
        let length = Int32(tokens[Int(slot)].count)
        // A new empty suffix starts at the root; the oldest stops growing at maxDepth.
        let pushed = sequence.activeIndex(sequence.activeCount)
        sequence.active[pushed] = root
        sequence.activeRecords[pushed] = makeEndpoint(slot: slot, end: length, node: root)
        sequence.activeCount += 1
        nodes[0].count += 1
        if sequence.activeCount > maxDepth {
            commitEndpoint(sequence.activeRecords[sequence.activeStart])
            sequence.activeStart = sequence.activeIndex(1)
            sequence.activeCount -= 1
        }
        tokens[Int(slot)].append(token)
        let newLength = length + 1

        for position in 0..<sequence.activeCount {
            let activeIndex = sequence.activeIndex(position)
            let node = sequence.active[activeIndex]
            let record = sequence.activeRecords[activeIndex]
            if let child = child(of: node, token: token) {
                if node != root, nodes[Int(node)].count == nodes[Int(child)].count + 1 {
                    // Case 2: only this suffix ends at `node`; all others continue into `child`.
                    if nodes[Int(child)].length == 1 {
                        moveEndpoint(record, to: child, end: newLength)
                        fuse(node, into: child, key: token, slot: slot, end: newLength)
                        sequence.active[activeIndex] = child
                    } else {
                        // Grow `node` by one token taken from the front of `child`.
                        nodes[Int(node)].length += 1
                        endpoints[Int(record)].end = newLength
                        nodes[Int(node)].refSlot = slot
                        nodes[Int(node)].refIndex = newLength - nodes[Int(node)].length
                        nodes[Int(child)].length -= 1
                        nodes[Int(child)].refIndex += 1
                        // `node` has only this child, so no table entry needs re-keying.
                        nodes[Int(child)].token = firstToken(of: child)
                    }
                } else if nodes[Int(child)].length == 1 {
                    // Case 3a: step into the child.
                    moveEndpoint(record, to: child, end: newLength)
                    incrementCount(child)
                    sequence.active[activeIndex] = child
                } else {
                    // Case 3b: split the child after its first token.
                    let split = splitChild(child, of: node, token: token, slot: slot, end: newLength, record: record)
                    sequence.active[activeIndex] = split
                }
            } else if node != root, nodes[Int(node)].count == 1 {
                // Case 1a: `node` is this suffix's own leaf; lengthen it.
                nodes[Int(node)].length += 1
                endpoints[Int(record)].end = newLength
            } else {
                // Case 1b: a new leaf.
                let leaf = allocateNode(Node(count: 1, token: token, length: 1, refSlot: slot, refIndex: newLength - 1, parent: node))
                moveEndpoint(record, to: leaf, end: newLength)
                nodes[Int(node)].childCount += 1
                if nodes[Int(node)].childCount == 2 {
                    let first = nodes[Int(node)].headChild
                    children.set(node, nodes[Int(first)].token, to: first)
                }
                indexChild(leaf, of: node, token: token)
                if nodes[Int(node)].childCount == 1 {
                    nodes[Int(node)].headChild = leaf
                    nodes[Int(node)].tailChild = leaf
                    setGroup(leaf, makeGroup(head: leaf))
                } else {
                    insertIntoSiblings(leaf, after: nodes[Int(node)].tailChild)
                }
                sequence.active[activeIndex] = leaf
            }
        }
    }

    /// Case 2a: `node` (which only this suffix ends at) and its single child of length 1 become
    /// one node, the child, which takes `node`'s place.
    private mutating func fuse(_ node: Int32, into child: Int32, key: Int32, slot: Int32, end: Int32) {
        let parent = nodes[Int(node)].parent
        let token = nodes[Int(node)].token
        nodes[Int(child)].count += 1
        nodes[Int(child)].token = token
        nodes[Int(child)].length = nodes[Int(node)].length + 1
        nodes[Int(child)].refSlot = slot
        nodes[Int(child)].refIndex = end - nodes[Int(child)].length
        nodes[Int(child)].parent = parent
        replaceInSiblings(node, with: child)
        indexChild(child, of: parent, token: token)
        nodes[Int(node)].childCount = 0
        freeNode(node)
    }

    /// Case 3b: inserts a one-token node between `node` and `child`; returns it.
    private mutating func splitChild(_ child: Int32, of node: Int32, token: Int32, slot: Int32, end: Int32, record: Int32) -> Int32 {
        let split = allocateNode(Node(
            count: nodes[Int(child)].count, token: token, length: 1, refSlot: slot, refIndex: end - 1, parent: node))
        replaceInSiblings(child, with: split)
        indexChild(split, of: node, token: token)
        nodes[Int(child)].length -= 1
        nodes[Int(child)].refIndex += 1
        nodes[Int(child)].token = firstToken(of: child)
        nodes[Int(child)].parent = split
        nodes[Int(split)].childCount = 1
        moveEndpoint(record, to: split, end: end)
        nodes[Int(split)].headChild = child
        nodes[Int(split)].tailChild = child
        setGroup(child, makeGroup(head: child))
        incrementCount(split)
        return split
    }

    // MARK: Removing

    /// Removes sequence `id` and every suffix of it; nodes only it used are freed.
    public mutating func remove(_ id: Int32) {
        guard let slot = slotsByID[id] else { return }
        // Every endpoint of the sequence goes into the index, where the walks below find them.
        if var sequence = sequences[Int(slot)] {
            for position in 0..<sequence.activeCount { commitEndpoint(sequence.activeRecords[sequence.activeIndex(position)]) }
            sequence.activeCount = 0
            sequences[Int(slot)] = sequence
        }
        let tokens = self.tokens[Int(slot)]
        let count = Int32(tokens.count)
        var path: [Int32] = []
        for start in 0..<count {
            var node = Self.root
            nodes[0].count -= 1
            var index = start
            path.removeAll(keepingCapacity: true)
            while index < count {
                let token = tokens[Int(index)]
                guard let child = child(of: node, token: token) else { break }
                if nodes[Int(child)].count > 1 {
                    decrementCount(child)
                } else {
                    removeFromSiblings(child)
                    unindexChild(of: node, token: token)
                    nodes[Int(node)].childCount -= 1
                    freeSubtree(child)
                    break
                }
                eraseEndpoint(child, slot)
                index += nodes[Int(child)].length
                node = child
                path.append(node)
            }
            // The last node may now have the same count as its only child: merge them.
            if node != Self.root, nodes[Int(node)].childCount == 1 {
                let child = nodes[Int(node)].headChild
                if nodes[Int(node)].count == nodes[Int(child)].count {
                    let parent = nodes[Int(node)].parent
                    let token = nodes[Int(node)].token
                    nodes[Int(child)].token = token
                    nodes[Int(child)].length += nodes[Int(node)].length
                    nodes[Int(child)].refIndex -= nodes[Int(node)].length
                    nodes[Int(child)].parent = parent
                    replaceInSiblings(node, with: child)
                    indexChild(child, of: parent, token: token)
                    nodes[Int(node)].childCount = 0
                    freeNode(node)
                    path[path.count - 1] = child
                    node = child
                }
            }
            // Nodes on the path that read their tokens from this sequence must read them from a
            // surviving one: any endpoint under an arbitrary leaf below holds the same tokens.
            var leaf = node
            var distance: Int32 = 0
            while nodes[Int(leaf)].childCount > 0 {
                leaf = nodes[Int(leaf)].headChild
                distance += nodes[Int(leaf)].length
            }
            let first = nodes[Int(leaf)].firstEndpoint
            if first == Self.none || endpointIndex.value(leaf, slot) != nil { continue }
            let reference = endpoints[Int(first)]
            var refIndex = reference.end - distance
            while let last = path.popLast() {
                refIndex -= nodes[Int(last)].length
                if nodes[Int(last)].refSlot == slot {
                    nodes[Int(last)].refSlot = reference.slot
                    nodes[Int(last)].refIndex = refIndex
                }
            }
        }
        // Drop the sequence's remaining endpoints (at the root there are none between appends).
        sequences[Int(slot)] = nil
        self.tokens[Int(slot)] = []
        slotsByID[id] = nil
        freeSlots.append(slot)
    }

    private mutating func freeSubtree(_ top: Int32) {
        var stack: [Int32] = [top]
        while let node = stack.popLast() {
            let indexed = nodes[Int(node)].childCount >= 2
            var child = nodes[Int(node)].headChild
            while child != Self.none {
                stack.append(child)
                if indexed { children.remove(node, nodes[Int(child)].token) }
                child = nodes[Int(child)].nextSibling
            }
            freeNode(node)
        }
    }

    // MARK: Speculating

    /// The best draft continuing `context` (Arctic's `speculate`): for every suffix of the
    /// context shorter than the whole that occurs in the tree, a draft of at most
    /// `min(maxSpecTokens, ⌊matchLength · maxSpecFactor + maxSpecOffset⌋)` tokens; the one with
    /// the highest score wins, ties going to the longer match.
    public func speculate(
        _ context: some RandomAccessCollection<Int32>, maxSpecTokens: Int, maxSpecFactor: Float, maxSpecOffset: Float,
        minTokenProbability: Float, usesTreeSpeculation: Bool = false
    ) -> SuffixDraft {
        var best = SuffixDraft()
        // Candidates are built in `draft` and swapped with `best` when they win, so the two
        // drafts' buffers are reused across match lengths instead of reallocated.
        var draft = SuffixDraft()
        let tokens = Array(context)
        guard tokens.count > 1 else { return best }
        for matchLength in 1..<tokens.count {
            guard let (node, index) = match(tokens[(tokens.count - matchLength)...]) else { break }
            let limit = Double(Float(matchLength) * maxSpecFactor + maxSpecOffset) + 1e-6
            let maxTokens = max(min(maxSpecTokens, Int(limit)), 0)
            if usesTreeSpeculation {
                draft = speculateTree(from: node, index: index, maxTokens: maxTokens, minTokenProbability: minTokenProbability)
            } else {
                speculatePath(into: &draft, from: node, index: index, maxTokens: maxTokens, minTokenProbability: minTokenProbability)
            }
            if draft.score >= best.score {
                draft.matchLength = matchLength
                swap(&draft, &best)
            }
        }
        return best
    }

    /// Where `pattern` ends in the tree: a node and how many of its edge tokens it covers.
    private func match(_ pattern: ArraySlice<Int32>) -> (Int32, Int32)? {
        // Runs once per match length of every speculate call (O(depth²) steps, as Arctic's), so
        // nodes and token arrays are read through unsafe buffers (no bounds checks, no retain
        // of a token array per node entered), a node's fields are loaded once when it is
        // entered, and an edge's first token is not compared again (the child was found by it).
        nodes.withUnsafeBufferPointer { nodes in
            tokens.withUnsafeBufferPointer { sequences in
                var node = Self.root
                var index: Int32 = 0, length = nodes[Int(Self.root)].length
                var slot = 0, base = 0
                for token in pattern {
                    if index < length {
                        if sequences[slot][base + Int(index)] != token { return nil }
                        index += 1
                        continue
                    }
                    let parent = nodes[Int(node)]
                    switch parent.childCount {
                    case 0: return nil
                    case 1:
                        node = parent.headChild
                        if nodes[Int(node)].token != token { return nil }
                    default:
                        guard let child = children.value(node, token) else { return nil }
                        node = child
                    }
                    let entered = nodes[Int(node)]
                    length = entered.length
                    slot = Int(entered.refSlot)
                    base = Int(entered.refIndex)
                    index = 1
                }
                return (node, index)
            }
        }
    }

    /// Follows the most frequent child: a chain of tokens.
    private func speculatePath(
        into draft: inout SuffixDraft, from start: Int32, index start_: Int32, maxTokens: Int, minTokenProbability: Float
    ) {
        draft.tokenIDs.removeAll(keepingCapacity: true)
        draft.parents.removeAll(keepingCapacity: true)
        draft.probabilities.removeAll(keepingCapacity: true)
        draft.score = 0
        draft.matchLength = 0
        var node = start, index = start_
        var probability: Float = 1
        var tokens = self.tokens[Int(nodes[Int(node)].refSlot)]
        var base = Int(nodes[Int(node)].refIndex)
        while draft.tokenIDs.count < maxTokens, probability >= minTokenProbability {
            if index < nodes[Int(node)].length {
                draft.parents.append(Int32(draft.tokenIDs.count) - 1)
                draft.tokenIDs.append(tokens[base + Int(index)])
                draft.probabilities.append(probability)
                draft.score += probability
                index += 1
            } else {
                let child = nodes[Int(node)].headChild
                if child == Self.none { break }
                probability *= Float(nodes[Int(child)].count) / Float(nodes[Int(node)].count)
                node = child
                tokens = self.tokens[Int(nodes[Int(node)].refSlot)]
                base = Int(nodes[Int(node)].refIndex)
                index = 0
            }
        }
    }

    /// Best-first expansion of the likeliest continuations: a token tree.
    private func speculateTree(from start: Int32, index: Int32, maxTokens: Int, minTokenProbability: Float) -> SuffixDraft {
        var draft = SuffixDraft()
        var heap = MaxHeap()
        heap.push(.init(probability: 1, node: start, index: index, parent: -1))
        while draft.tokenIDs.count < maxTokens, let item = heap.pop() {
            let node = nodes[Int(item.node)]
            if item.index < node.length {
                draft.tokenIDs.append(tokens[Int(node.refSlot)][Int(node.refIndex + item.index)])
                draft.parents.append(item.parent)
                draft.probabilities.append(item.probability)
                draft.score += item.probability
                heap.push(.init(probability: item.probability, node: item.node, index: item.index + 1, parent: Int32(draft.tokenIDs.count - 1)))
            } else {
                var child = node.headChild
                while child != Self.none {
                    let probability = item.probability * Float(nodes[Int(child)].count) / Float(node.count)
                    if probability < minTokenProbability { break }
                    heap.push(.init(probability: probability, node: child, index: 0, parent: item.parent))
                    child = nodes[Int(child)].nextSibling
                }
            }
        }
        return draft
    }

    // MARK: Sequences and active nodes

    private mutating func makeSequence(_ id: Int32) -> Int32 {
        let sequence = Sequence(
            id: id, active: Array(repeating: Self.none, count: maxDepth + 1),
            activeRecords: Array(repeating: Self.none, count: maxDepth + 1))
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            sequences[Int(slot)] = sequence
        } else {
            slot = Int32(sequences.count)
            sequences.append(sequence)
            tokens.append([])
        }
        slotsByID[id] = slot
        return slot
    }

    /// Only nodes with two or more children have their children in the `children` table:
    /// leaves and single-child nodes (most of a path-compressed tree) answer from the node
    /// itself. Call after `childCount` counts `child` (insertion or same-key replacement).
    @inline(__always) private mutating func indexChild(_ child: Int32, of parent: Int32, token: Int32) {
        if nodes[Int(parent)].childCount >= 2 { children.set(parent, token, to: child) }
    }

    /// Call after unlinking a child from the siblings and before decrementing `childCount`.
    private mutating func unindexChild(of parent: Int32, token: Int32) {
        guard nodes[Int(parent)].childCount >= 2 else { return }
        children.remove(parent, token)
        if nodes[Int(parent)].childCount == 2 {
            let remaining = nodes[Int(parent)].headChild
            children.remove(parent, nodes[Int(remaining)].token)
        }
    }

    /// The child of `node` whose edge starts with `token`.
    @inline(__always) func child(of node: Int32, token: Int32) -> Int32? {
        switch nodes[Int(node)].childCount {
        case 0: return nil
        case 1:
            let only = nodes[Int(node)].headChild
            return nodes[Int(only)].token == token ? only : nil
        default: return children.value(node, token)
        }
    }

    @inline(__always) private func firstToken(of node: Int32) -> Int32 {
        tokens[Int(nodes[Int(node)].refSlot)][Int(nodes[Int(node)].refIndex)]
    }

    // MARK: Storage

    private mutating func allocateNode(_ node: Node) -> Int32 {
        if let index = freeNodes.popLast() {
            nodes[Int(index)] = node
            return index
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    /// Frees a node's endpoints, its group reference and the node (not its children's keys).
    private mutating func freeNode(_ node: Int32) {
        var record = nodes[Int(node)].firstEndpoint
        while record != Self.none {
            let next = endpoints[Int(record)].next
            if endpoints[Int(record)].isIndexed { endpointIndex.remove(node, endpoints[Int(record)].slot) }
            freeEndpoints.append(record)
            record = next
        }
        setGroup(node, Self.none)
        nodes[Int(node)] = Node(count: 0, refIndex: -1)
        freeNodes.append(node)
    }

    mutating func makeGroup(head: Int32) -> Int32 {
        let group = Group(head: head)
        if let index = freeGroups.popLast() {
            groups[Int(index)] = group
            return index
        }
        groups.append(group)
        return Int32(groups.count - 1)
    }

    /// Points `node` at `group`, releasing its previous group (freed when no node is left in it).
    @inline(__always) mutating func setGroup(_ node: Int32, _ group: Int32) {
        let old = nodes[Int(node)].group
        if group != Self.none { groups[Int(group)].members += 1 }
        nodes[Int(node)].group = group
        if old != Self.none {
            groups[Int(old)].members -= 1
            if groups[Int(old)].members == 0 { freeGroups.append(old) }
        }
    }

    /// A new record linked at the head of `node`'s endpoint list (not indexed).
    private mutating func makeEndpoint(slot: Int32, end: Int32, node: Int32) -> Int32 {
        let endpoint = Endpoint(slot: slot, end: end, node: node)
        let record: Int32
        if let reused = freeEndpoints.popLast() {
            record = reused
            endpoints[Int(record)] = endpoint
        } else {
            record = Int32(endpoints.count)
            endpoints.append(endpoint)
        }
        link(record, to: node)
        return record
    }

    @inline(__always) private mutating func link(_ record: Int32, to node: Int32) {
        let head = nodes[Int(node)].firstEndpoint
        endpoints[Int(record)].node = node
        endpoints[Int(record)].previous = Self.none
        endpoints[Int(record)].next = head
        if head != Self.none { endpoints[Int(head)].previous = record }
        nodes[Int(node)].firstEndpoint = record
    }

    @inline(__always) private mutating func unlink(_ record: Int32) {
        let endpoint = endpoints[Int(record)]
        if endpoint.previous != Self.none {
            endpoints[Int(endpoint.previous)].next = endpoint.next
        } else {
            nodes[Int(endpoint.node)].firstEndpoint = endpoint.next
        }
        if endpoint.next != Self.none { endpoints[Int(endpoint.next)].previous = endpoint.previous }
    }

    /// Moves an active suffix's record to the node where the suffix now ends.
    @inline(__always) private mutating func moveEndpoint(_ record: Int32, to node: Int32, end: Int32) {
        unlink(record)
        link(record, to: node)
        endpoints[Int(record)].end = end
    }

    /// Indexes a record whose suffix stopped growing, merging it into an indexed record of the
    /// same (node, sequence) if there is one (Arctic's map keeps one end per sequence).
    private mutating func commitEndpoint(_ record: Int32) {
        let endpoint = endpoints[Int(record)]
        if let existing = endpointIndex.value(endpoint.node, endpoint.slot) {
            endpoints[Int(existing)].end = endpoint.end
            unlink(record)
            freeEndpoints.append(record)
        } else {
            endpoints[Int(record)].isIndexed = true
            endpointIndex.set(endpoint.node, endpoint.slot, to: record)
        }
    }

    private mutating func eraseEndpoint(_ node: Int32, _ slot: Int32) {
        guard let record = endpointIndex.value(node, slot) else { return }
        endpointIndex.remove(node, slot)
        let endpoint = endpoints[Int(record)]
        if endpoint.previous != Self.none {
            endpoints[Int(endpoint.previous)].next = endpoint.next
        } else {
            nodes[Int(node)].firstEndpoint = endpoint.next
        }
        if endpoint.next != Self.none { endpoints[Int(endpoint.next)].previous = endpoint.previous }
        freeEndpoints.append(record)
    }

    /// Whether a suffix of sequence `slot` ends at `node` (a list walk: for checks only).
    func hasEndpoint(_ node: Int32, slot: Int32) -> Bool {
        var record = nodes[Int(node)].firstEndpoint
        while record != Self.none {
            if endpoints[Int(record)].slot == slot { return true }
            record = endpoints[Int(record)].next
        }
        return false
    }


    /// Bytes held by the tree's storage (capacity, not just what is in use).
    public var estimatedMemoryBytes: Int {
        var total = nodes.capacity * MemoryLayout<Node>.stride + groups.capacity * MemoryLayout<Group>.stride
        total += endpoints.capacity * MemoryLayout<Endpoint>.stride
        total += children.memoryBytes + endpointIndex.memoryBytes
        total += (freeNodes.capacity + freeGroups.capacity + freeEndpoints.capacity + freeSlots.capacity) * 4
        for case let sequence? in sequences { total += sequence.active.capacity * 4 }
        for sequenceTokens in tokens { total += sequenceTokens.capacity * 4 }
        total += sequences.capacity * MemoryLayout<Sequence?>.stride + slotsByID.capacity * 16
        return total
    }
}
