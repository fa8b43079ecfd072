/// The frontier of `SuffixTree`'s tree speculation: a binary max-heap on probability.
struct MaxHeap {
    struct Item {
        var probability: Float
        var node: Int32
        var index: Int32
        var parent: Int32
    }

    private var items: [Item] = []

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[parent].probability < items[child].probability else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Item? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var largest = parent
            if left < items.count, items[left].probability > items[largest].probability { largest = left }
            if right < items.count, items[right].probability > items[largest].probability { largest = right }
            if largest == parent { break }
            items.swapAt(parent, largest)
            parent = largest
        }
        return top
    }
}
