/// Read-only hash table of BPE merge rules keyed by packed id pairs. Swift's `Dictionary`
/// hashes with SipHash, which dominated the merge loop in profiles; the keys here are already
/// well-mixed integers, so one multiply (Fibonacci hashing) and linear probing do, at a load
/// factor of at most 1/2.
struct MergeTable: Sendable {
    private let keys: [UInt64]
    private let values: [BPEMerger.Rule]
    private let occupied: [Bool]
    private let shift: UInt64
    private let mask: Int

    init(_ rules: [UInt64: BPEMerger.Rule]) {
        var capacity = 16
        while capacity < rules.count * 2 { capacity *= 2 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var values = [BPEMerger.Rule](repeating: BPEMerger.Rule(rank: 0, newID: 0), count: capacity)
        var occupied = [Bool](repeating: false, count: capacity)
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        let mask = capacity - 1
        for (key, rule) in rules {
            var slot = Self.slot(key, shift)
            while occupied[slot] { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = rule
            occupied[slot] = true
        }
        self.keys = keys
        self.values = values
        self.occupied = occupied
        self.shift = shift
        self.mask = mask
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    subscript(key: UInt64) -> BPEMerger.Rule? {
        var slot = Self.slot(key, shift)
        while occupied[slot] {
            if keys[slot] == key { return values[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
