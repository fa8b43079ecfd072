/// The 32-element block formats. Within a block, byte `j` of the packed nibbles holds element
/// `j` in its low nibble and element `j + 16` in its high nibble (not `2j`, `2j + 1`).
extension QuantBlock {
    /// `block_q4_0 { f16 d; u8 qs[16] }`: y = (q − 8) · d.
    static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0..<16 {
            let q = u8(x, 2 + j)
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// `block_q4_1 { f16 d; f16 m; u8 qs[16] }`: y = q · d + m.
    static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let m = half(x, 2)
        for j in 0..<16 {
            let q = u8(x, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// `block_q5_0 { f16 d; u8 qh[4]; u8 qs[16] }`: the 5th bit of element `j` is bit `j` of
    /// the little-endian u32 `qh`; y = (q − 16) · d.
    static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let qh = u32(x, 2)
        for j in 0..<16 {
            let q = u8(x, 6 + j)
            let low = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
            let high = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(low - 16) * d
            y[j + 16] = Float(high - 16) * d
        }
    }

    /// `block_q5_1 { f16 d; f16 m; u8 qh[4]; u8 qs[16] }`: y = q · d + m.
    static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let m = half(x, 2)
        let qh = u32(x, 4)
        for j in 0..<16 {
            let q = u8(x, 8 + j)
            let low = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
            let high = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(low) * d + m
            y[j + 16] = Float(high) * d + m
        }
    }

    /// `block_q8_0 { f16 d; i8 qs[32] }`: y = q · d.
    static func q8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0..<32 { y[j] = Float(i8(x, 2 + j)) * d }
    }

    /// `block_q8_1 { f16 d; f16 s; i8 qs[32] }`: y = q · d (`s` caches d · Σq for dot products).
    /// ggml has no reference dequantizer for this activation format; this is its meaning.
    static func q8_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0..<32 { y[j] = Float(i8(x, 4 + j)) * d }
    }
}
