/// A full invariant check (Arctic's `check_integrity`, plus the bookkeeping of this storage):
/// used by tests after long random sequences of appends and removals.
extension SuffixTree {
    /// nil when every invariant holds, else the first violation found.
    public func integrityViolation() -> String? {
        var reachable: [Int32] = []
        var queue: [Int32] = [Self.root]
        while let node = queue.popLast() {
            reachable.append(node)
            if let problem = nodeViolation(node) { return "node \(node): \(problem)" }
            var child = nodes[Int(node)].headChild
            while child != Self.none { queue.append(child); child = nodes[Int(child)].nextSibling }
        }
        // Every suffix (cut to maxDepth) of every sequence is a path ending at an endpoint.
        var visits = [Int](repeating: 0, count: nodes.count)
        for (slotIndex, sequence) in sequences.enumerated() {
            guard let sequence else { continue }
            let slot = Int32(slotIndex), tokens = self.tokens[slotIndex]
            for start in tokens.indices {
                var index = start
                var node = Self.root
                visits[0] += 1
                while index < tokens.count, index - start < maxDepth {
                    guard let child = child(of: node, token: tokens[index]) else {
                        return "sequence \(sequence.id): suffix at \(start) leaves the tree at \(index)"
                    }
                    node = child
                    visits[Int(node)] += 1
                    let edge = nodes[Int(node)]
                    if index + Int(edge.length) > tokens.count { return "sequence \(sequence.id) ends inside node \(node)" }
                    for offset in 0..<Int(edge.length)
                    where tokens[index + offset] != self.tokens[Int(edge.refSlot)][Int(edge.refIndex) + offset] {
                        return "node \(node): reference tokens differ from sequence \(sequence.id)"
                    }
                    index += Int(edge.length)
                }
                if !hasEndpoint(node, slot: slot) { return "sequence \(sequence.id): no endpoint for suffix at \(start)" }
            }
        }
        for node in reachable where nodes[Int(node)].count != visits[Int(node)] {
            return "node \(node): count \(nodes[Int(node)].count) but \(visits[Int(node)]) suffixes pass"
        }
        return storageViolation(reachableNodes: reachable)
    }

    private func nodeViolation(_ index: Int32) -> String? {
        let node = nodes[Int(index)]
        var childCount: Int32 = 0
        var previous = Self.none
        var child = node.headChild
        while child != Self.none {
            let entry = nodes[Int(child)]
            childCount += 1
            if entry.parent != index { return "child \(child) has parent \(entry.parent)" }
            if node.childCount >= 2, children.value(index, entry.token) != child { return "child \(child) is not under its token" }
            if node.childCount < 2, children.value(index, entry.token) != nil { return "single child \(child) is indexed" }
            if entry.group == Self.none { return "child \(child) has no group" }
            if entry.previousSibling != previous { return "broken sibling links at \(child)" }
            if previous != Self.none {
                let before = nodes[Int(previous)]
                if entry.count > before.count { return "siblings out of order at \(child)" }
                if entry.count == before.count {
                    if entry.group != before.group { return "equal siblings in different groups at \(child)" }
                } else {
                    if entry.group == before.group { return "unequal siblings share a group at \(child)" }
                    if groups[Int(entry.group)].head != child { return "child \(child) should head its group" }
                    if groups[Int(entry.group)].previous != before.group || groups[Int(before.group)].next != entry.group {
                        return "broken group links at \(child)"
                    }
                }
            } else {
                if groups[Int(entry.group)].head != child { return "head child \(child) does not head its group" }
                if groups[Int(entry.group)].previous != Self.none { return "first group has a predecessor" }
            }
            if index != Self.root, entry.count >= node.count { return "child \(child) count not below its parent's" }
            previous = child
            child = entry.nextSibling
        }
        if previous != node.tailChild { return "tail child is \(node.tailChild), list ends at \(previous)" }
        if previous != Self.none, groups[Int(nodes[Int(previous)].group)].next != Self.none { return "last group has a successor" }
        if childCount != node.childCount { return "child count \(node.childCount) but \(childCount) in the list" }
        if index == Self.root {
            if node.length != 0 || node.parent != Self.none || node.firstEndpoint != Self.none || node.refIndex != -1 {
                return "root holds tokens, a parent or endpoints"
            }
            return nil
        }
        if node.length <= 0 || node.count <= 0 { return "empty edge or count" }
        guard Int(node.refSlot) < sequences.count, sequences[Int(node.refSlot)] != nil else {
            return "references a removed sequence"
        }
        let reference = tokens[Int(node.refSlot)]
        if node.refIndex < 0 || Int(node.refIndex + node.length) > reference.count { return "reference out of range" }
        if reference[Int(node.refIndex)] != node.token { return "token differs from its reference" }
        var record = node.firstEndpoint
        while record != Self.none {
            let endpoint = endpoints[Int(record)]
            if endpoint.node != index { return "endpoint record \(record) belongs to node \(endpoint.node)" }
            guard Int(endpoint.slot) < sequences.count, sequences[Int(endpoint.slot)] != nil else {
                return "endpoint of a removed sequence"
            }
            let sequenceTokens = tokens[Int(endpoint.slot)]
            if endpoint.end <= 0 || Int(endpoint.end) > sequenceTokens.count { return "endpoint out of range" }
            // The suffix ending there spells the path from the root.
            var walker = index
            var end = Int(endpoint.end)
            while walker != Self.root {
                let edge = nodes[Int(walker)]
                if Int(edge.length) > end { return "endpoint suffix shorter than its path" }
                end -= Int(edge.length)
                for offset in 0..<Int(edge.length)
                where sequenceTokens[end + offset] != self.tokens[Int(edge.refSlot)][Int(edge.refIndex) + offset] {
                    return "endpoint suffix differs from its path"
                }
                walker = edge.parent
            }
            record = endpoint.next
        }
        return nil
    }

    /// Nothing leaks: every stored node, group and endpoint is reachable or on a free list.
    private func storageViolation(reachableNodes: [Int32]) -> String? {
        let liveNodes = nodeCount
        if reachableNodes.count != liveNodes { return "\(liveNodes) live nodes but \(reachableNodes.count) reachable" }
        var members = [Int32: Int32]()
        var endpointCount = 0
        for node in reachableNodes {
            if nodes[Int(node)].group != Self.none { members[nodes[Int(node)].group, default: 0] += 1 }
            var record = nodes[Int(node)].firstEndpoint
            while record != Self.none { endpointCount += 1; record = endpoints[Int(record)].next }
        }
        for (group, count) in members where groups[Int(group)].members != count {
            return "group \(group) counts \(groups[Int(group)].members) members but \(count) nodes use it"
        }
        if members.count != groups.count - freeGroupCount { return "\(groups.count - freeGroupCount) live groups, \(members.count) used" }
        if endpointCount != endpoints.count - freeEndpointCount { return "endpoint records leak" }
        let linkedChildren = reachableNodes.reduce(0) { $0 + (nodes[Int($1)].childCount >= 2 ? Int(nodes[Int($1)].childCount) : 0) }
        if linkedChildren != children.count { return "children table has \(children.count) entries for \(linkedChildren) children" }
        return nil
    }
}
