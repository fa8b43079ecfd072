/// The children list of a node, kept sorted by decreasing count, with runs of equal counts
/// linked as groups (Arctic's `_increment_count`, `_decrement_count` and helpers): a count
/// change of ±1 moves a node past its whole run in O(1).
extension SuffixTree {
    @inline(__always) private func count(_ node: Int32) -> Int { nodes[Int(node)].count }

    mutating func removeFromSiblings(_ node: Int32) {
        let parent = nodes[Int(node)].parent
        let group = nodes[Int(node)].group
        let next = nodes[Int(node)].nextSibling
        let previous = nodes[Int(node)].previousSibling
        if groups[Int(group)].head == node {
            if next != Self.none, count(next) == count(node) {
                groups[Int(group)].head = next
                setGroup(node, Self.none)
            } else {
                // The node's group holds only it: unlink the group; the node keeps it.
                let before = groups[Int(group)].previous, after = groups[Int(group)].next
                if before != Self.none { groups[Int(before)].next = after }
                if after != Self.none { groups[Int(after)].previous = before }
                groups[Int(group)].previous = Self.none
                groups[Int(group)].next = Self.none
            }
        } else {
            setGroup(node, Self.none)
        }
        if next != Self.none { nodes[Int(next)].previousSibling = previous } else { nodes[Int(parent)].tailChild = previous }
        if previous != Self.none { nodes[Int(previous)].nextSibling = next } else { nodes[Int(parent)].headChild = next }
        nodes[Int(node)].previousSibling = Self.none
        nodes[Int(node)].nextSibling = Self.none
    }

    mutating func insertIntoSiblings(_ node: Int32, before other: Int32) {
        let parent = nodes[Int(node)].parent
        let previous = nodes[Int(other)].previousSibling
        if previous != Self.none { nodes[Int(previous)].nextSibling = node } else { nodes[Int(parent)].headChild = node }
        nodes[Int(node)].nextSibling = other
        nodes[Int(node)].previousSibling = previous
        nodes[Int(other)].previousSibling = node
        if previous != Self.none, count(node) == count(previous) {
            setGroup(node, nodes[Int(previous)].group)
        } else if count(node) == count(other) {
            let group = nodes[Int(other)].group
            setGroup(node, group)
            groups[Int(group)].head = node
        } else {
            let group = ownGroup(node)
            if previous != Self.none {
                let previousGroup = nodes[Int(previous)].group
                groups[Int(group)].previous = previousGroup
                groups[Int(previousGroup)].next = group
            }
            let otherGroup = nodes[Int(other)].group
            groups[Int(group)].next = otherGroup
            groups[Int(otherGroup)].previous = group
        }
    }

    mutating func insertIntoSiblings(_ node: Int32, after other: Int32) {
        let parent = nodes[Int(node)].parent
        let next = nodes[Int(other)].nextSibling
        if next != Self.none { nodes[Int(next)].previousSibling = node } else { nodes[Int(parent)].tailChild = node }
        nodes[Int(node)].previousSibling = other
        nodes[Int(node)].nextSibling = next
        nodes[Int(other)].nextSibling = node
        if next != Self.none, count(node) == count(next) {
            let group = nodes[Int(next)].group
            setGroup(node, group)
            if groups[Int(group)].head == next { groups[Int(group)].head = node }
        } else if count(node) == count(other) {
            setGroup(node, nodes[Int(other)].group)
        } else {
            let group = ownGroup(node)
            if next != Self.none {
                let nextGroup = nodes[Int(next)].group
                groups[Int(group)].next = nextGroup
                groups[Int(nextGroup)].previous = group
            }
            let otherGroup = nodes[Int(other)].group
            groups[Int(group)].previous = otherGroup
            groups[Int(otherGroup)].next = group
        }
    }

    /// The node's group if it carries one (a solo group kept through `removeFromSiblings`),
    /// else a new one.
    private mutating func ownGroup(_ node: Int32) -> Int32 {
        if nodes[Int(node)].group != Self.none { return nodes[Int(node)].group }
        let group = makeGroup(head: node)
        setGroup(node, group)
        return group
    }

    /// Puts `new` where `old` is in the siblings and groups lists (equal counts).
    mutating func replaceInSiblings(_ old: Int32, with new: Int32) {
        let parent = nodes[Int(old)].parent
        let next = nodes[Int(old)].nextSibling, previous = nodes[Int(old)].previousSibling
        if next != Self.none { nodes[Int(next)].previousSibling = new } else { nodes[Int(parent)].tailChild = new }
        if previous != Self.none { nodes[Int(previous)].nextSibling = new } else { nodes[Int(parent)].headChild = new }
        nodes[Int(new)].previousSibling = previous
        nodes[Int(new)].nextSibling = next
        nodes[Int(old)].previousSibling = Self.none
        nodes[Int(old)].nextSibling = Self.none
        let group = nodes[Int(old)].group
        if groups[Int(group)].head == old { groups[Int(group)].head = new }
        setGroup(new, group)
        setGroup(old, Self.none)
    }

    mutating func incrementCount(_ node: Int32) {
        if node == Self.root { nodes[0].count += 1; return }
        let previous = nodes[Int(node)].previousSibling
        let next = nodes[Int(node)].nextSibling
        if previous == Self.none || count(previous) > count(node) + 1 {
            if next == Self.none || count(next) < count(node) {
                nodes[Int(node)].count += 1
            } else {
                // Split off the head of the run into a group of its own, before the rest.
                let original = nodes[Int(node)].group
                groups[Int(original)].head = next
                let group = makeGroup(head: node)
                groups[Int(group)].next = original
                let before = groups[Int(original)].previous
                if before != Self.none {
                    groups[Int(group)].previous = before
                    groups[Int(before)].next = group
                }
                groups[Int(original)].previous = group
                setGroup(node, group)
                nodes[Int(node)].count += 1
            }
        } else {
            // Move to the front of the previous run, whose count the node now reaches.
            let other = groups[Int(nodes[Int(previous)].group)].head
            removeFromSiblings(node)
            nodes[Int(node)].count += 1
            insertIntoSiblings(node, before: other)
        }
    }

    mutating func decrementCount(_ node: Int32) {
        if node == Self.root { nodes[0].count -= 1; return }
        let previous = nodes[Int(node)].previousSibling
        let next = nodes[Int(node)].nextSibling
        if next == Self.none || count(next) < count(node) - 1 {
            if previous == Self.none || count(previous) > count(node) {
                nodes[Int(node)].count -= 1
            } else {
                // Split off the tail of the run into a group of its own, after the rest.
                let original = nodes[Int(node)].group
                let group = makeGroup(head: node)
                groups[Int(group)].previous = original
                let after = groups[Int(original)].next
                if after != Self.none {
                    groups[Int(group)].next = after
                    groups[Int(after)].previous = group
                }
                groups[Int(original)].next = group
                setGroup(node, group)
                nodes[Int(node)].count -= 1
            }
        } else if count(next) == count(node) - 1 {
            // Join the next run as its head.
            let nextGroup = nodes[Int(next)].group
            groups[Int(nextGroup)].head = node
            let group = nodes[Int(node)].group
            if groups[Int(group)].head == node {
                let before = groups[Int(group)].previous, after = groups[Int(group)].next
                if before != Self.none { groups[Int(before)].next = after }
                groups[Int(after)].previous = before
            }
            setGroup(node, nextGroup)
            nodes[Int(node)].count -= 1
        } else {
            // Move behind the rest of its run, to the head of the following run.
            let following = groups[Int(nodes[Int(node)].group)].next
            removeFromSiblings(node)
            nodes[Int(node)].count -= 1
            let parent = nodes[Int(node)].parent
            if following == Self.none {
                insertIntoSiblings(node, after: nodes[Int(parent)].tailChild)
            } else {
                insertIntoSiblings(node, before: groups[Int(following)].head)
            }
        }
    }
}
