import FloeTensor

/// SplitMix64: a tiny seeded generator so every test input is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestData {
    static func floats(_ count: Int, _ rng: inout SeededRandom, range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &rng) }
    }

    static func tensor(_ shape: Shape, _ rng: inout SeededRandom, range: ClosedRange<Float> = -1...1) -> Tensor {
        Tensor(floats(shape.elementCount, &rng, range: range), shape: shape)
    }

    /// A `[rows, cols]` weight of any dtype: random bytes with every f16 scale field replaced
    /// by a sane value (so no block decodes to inf/NaN), or random floats for float types.
    static func weight(_ dtype: DType, rows: Int, cols: Int, _ rng: inout SeededRandom) -> Tensor {
        let tensor = Tensor(zeros: [rows, cols], dtype: dtype)
        let bytes = tensor.address.assumingMemoryBound(to: UInt8.self)
        func putHalf(_ offset: Int, _ value: Float) {
            let bits = Float16(value).bitPattern
            bytes[offset] = UInt8(bits & 0xFF)
            bytes[offset + 1] = UInt8(bits >> 8)
        }
        switch dtype {
        case .f32:
            let p = tensor.pointer(as: Float.self)
            for i in 0..<rows * cols { p[i] = Float.random(in: -1...1, using: &rng) }
        case .f16:
            for i in 0..<rows * cols { putHalf(2 * i, Float.random(in: -1...1, using: &rng)) }
        case .bf16:
            for i in 0..<rows * cols {
                let bits = Float.random(in: -1...1, using: &rng).bitPattern >> 16
                bytes[2 * i] = UInt8(bits & 0xFF)
                bytes[2 * i + 1] = UInt8(bits >> 8)
            }
        default:
            for i in 0..<tensor.byteCount { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            let scale = { (rng: inout SeededRandom) in Float.random(in: 0.002...0.03, using: &rng) * (Bool.random(using: &rng) ? 1 : -1) }
            for b in 0..<tensor.byteCount / dtype.blockBytes {
                let o = b * dtype.blockBytes
                switch dtype {
                case .q4_0, .q5_0, .q8_0: putHalf(o, scale(&rng))
                case .q4_1, .q5_1, .q4_K, .q5_K:
                    putHalf(o, abs(scale(&rng)))
                    putHalf(o + 2, Float.random(in: -0.05...0.05, using: &rng))
                case .q6_K: putHalf(o + 208, scale(&rng))
                default: fatalError("no generator for \(dtype)")
                }
            }
        }
        return tensor
    }
}

/// max |a - b| / max(1, max |b|): one number that is small when `a` matches the oracle `b`.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0, scale: Float = 1
    for i in a.indices {
        worst = max(worst, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
        if a[i].isNaN != b[i].isNaN { return .infinity }
    }
    return worst / scale
}
