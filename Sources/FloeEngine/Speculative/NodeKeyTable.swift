/// An open-addressing hash map from a pair of 32-bit ids to a 32-bit value: the suffix tree's
/// children (parent node, first token) → child and endpoints (node, sequence) → record.
///
/// One flat table for the whole tree instead of a map per node (Arctic's `Int32Map` per
/// node): no allocation per node, and key and value share a slot, so a probe usually costs one
/// cache miss. Linear probing with backward-shift deletion (no tombstones, so lookups stay
/// short after many removals); the table doubles past 50 % load and halves below 1/8.
struct NodeKeyTable {
    private struct Slot {
        var key: UInt64
        var value: Int32
    }

    private static let empty = UInt64.max
    private var slots: [Slot]
    private var mask: Int
    /// 64 - log2(capacity): the hash keeps the top bits of the product.
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: Slot(key: Self.empty, value: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always) static func key(_ high: Int32, _ low: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: high)) << 32 | UInt64(UInt32(bitPattern: low))
    }

    @inline(__always) private static func home(of key: UInt64, shift: UInt64) -> Int {
        // Fibonacci hashing on a mixed key: the top bits of the product depend on every key bit.
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always) func value(_ high: Int32, _ low: Int32) -> Int32? {
        let key = Self.key(high, low)
        return slots.withUnsafeBufferPointer { slots in
            var index = Self.home(of: key, shift: shift)
            while true {
                let stored = slots[index].key
                if stored == key { return slots[index].value }
                if stored == Self.empty { return nil }
                index = (index + 1) & mask
            }
        }
    }

    mutating func set(_ high: Int32, _ low: Int32, to value: Int32) {
        if (count + 1) * 2 > slots.count { resize(to: slots.count * 2) }
        let key = Self.key(high, low)
        let mask = self.mask, shift = self.shift
        let inserted = slots.withUnsafeMutableBufferPointer { slots -> Bool in
            var index = Self.home(of: key, shift: shift)
            while true {
                let stored = slots[index].key
                if stored == key { slots[index].value = value; return false }
                if stored == Self.empty {
                    slots[index] = Slot(key: key, value: value)
                    return true
                }
                index = (index + 1) & mask
            }
        }
        if inserted { count += 1 }
    }

    /// Removes the entry; returns whether it existed.
    @discardableResult
    mutating func remove(_ high: Int32, _ low: Int32) -> Bool {
        let key = Self.key(high, low)
        let mask = self.mask, shift = self.shift
        let removed = slots.withUnsafeMutableBufferPointer { slots -> Bool in
            var index = Self.home(of: key, shift: shift)
            while true {
                let stored = slots[index].key
                if stored == Self.empty { return false }
                if stored == key { break }
                index = (index + 1) & mask
            }
            // Backward shift: pull later entries of the probe run into the hole.
            var hole = index
            var next = (hole + 1) & mask
            while slots[next].key != Self.empty {
                let home = Self.home(of: slots[next].key, shift: shift)
                // Move the entry if the hole lies on its probe path (between home and next).
                if (hole - home) & mask < (next - home) & mask {
                    slots[hole] = slots[next]
                    hole = next
                }
                next = (next + 1) & mask
            }
            slots[hole].key = Self.empty
            return true
        }
        guard removed else { return false }
        count -= 1
        if slots.count > 16, count * 8 < slots.count { resize(to: slots.count / 2) }
        return true
    }

    private mutating func resize(to size: Int) {
        let old = slots
        slots = Array(repeating: Slot(key: Self.empty, value: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        let mask = self.mask, shift = self.shift
        slots.withUnsafeMutableBufferPointer { slots in
            for slot in old where slot.key != Self.empty {
                var index = Self.home(of: slot.key, shift: shift)
                while slots[index].key != Self.empty { index = (index + 1) & mask }
                slots[index] = slot
            }
        }
    }

    var memoryBytes: Int { slots.capacity * MemoryLayout<Slot>.stride }
}
