/// An open-addressing hash map from a pair of 32-bit ids to a 32-bit value: the suffix tree's
/// children (parent node, first token) → child and endpoints (node, sequence) → record.
///
/// One flat table for the whole tree instead of a map per node (Arctic's `Int32Map` per
/// node): no allocation per node, and a lookup touches one cache line. Linear probing with
/// backward-shift deletion, so there are no tombstones and lookups stay short after many
/// removals; the table doubles past 50 % load and halves below 1/8.
struct NodeKeyTable {
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int
    /// 64 - log2(capacity): the hash keeps the top bits of the product.
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always) static func key(_ high: Int32, _ low: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: high)) << 32 | UInt64(UInt32(bitPattern: low))
    }

    @inline(__always) private func slot(of key: UInt64) -> Int {
        // Fibonacci hashing on a mixed key: the top bits of the product depend on every key bit.
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    func value(_ high: Int32, _ low: Int32) -> Int32? {
        let key = Self.key(high, low)
        var index = slot(of: key)
        while true {
            let stored = keys[index]
            if stored == key { return values[index] }
            if stored == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }

    mutating func set(_ high: Int32, _ low: Int32, to value: Int32) {
        if (count + 1) * 2 > keys.count { resize(to: keys.count * 2) }
        let key = Self.key(high, low)
        var index = slot(of: key)
        while true {
            let stored = keys[index]
            if stored == key { values[index] = value; return }
            if stored == Self.empty {
                keys[index] = key
                values[index] = value
                count += 1
                return
            }
            index = (index + 1) & mask
        }
    }

    /// Removes the entry; returns whether it existed.
    @discardableResult
    mutating func remove(_ high: Int32, _ low: Int32) -> Bool {
        let key = Self.key(high, low)
        var index = slot(of: key)
        while true {
            let stored = keys[index]
            if stored == Self.empty { return false }
            if stored == key { break }
            index = (index + 1) & mask
        }
        // Backward shift: pull later entries of the probe run into the hole.
        var hole = index
        var next = (hole + 1) & mask
        while keys[next] != Self.empty {
            let home = slot(of: keys[next])
            // Move the entry if its home is not within (hole, next] cyclically.
            let distanceToNext = (next - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToNext {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        keys[hole] = Self.empty
        count -= 1
        if keys.count > 16, count * 8 < keys.count { resize(to: keys.count / 2) }
        return true
    }

    private mutating func resize(to size: Int) {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        count = 0
        for (key, value) in zip(oldKeys, oldValues) where key != Self.empty {
            var index = slot(of: key)
            while keys[index] != Self.empty { index = (index + 1) & mask }
            keys[index] = key
            values[index] = value
            count += 1
        }
    }

    var memoryBytes: Int { keys.capacity * 8 + values.capacity * 4 }
}
