/// The 256-element "k-quant" super-block formats. A super-block is split into 16 or 8
/// sub-blocks, each with its own small integer scale (and min) relative to the f16 `d`/`dmin`.
/// The loops mirror the reference's: outputs are produced in two halves of 128, and the
/// packed 2-bit planes of one byte go to elements 32 apart.
extension QuantBlock {
    /// `block_q2_K { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin }`: scale byte = min<<4 | scale.
    static func q2_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 80)
        let dmin = half(x, 82)
        var out = 0
        var scaleIndex = 0
        for half in 0..<2 {
            let qs = 16 + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let sc = u8(x, scaleIndex)
                    scaleIndex += 1
                    let dl = d * Float(sc & 0x0F)
                    let ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        let q = (u8(x, qs + 16 * group + l) >> UInt8(shift)) & 3
                        y[out] = dl * Float(q) - ml
                        out += 1
                    }
                }
            }
        }
    }

    /// `block_q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d }`. The 16 six-bit scales
    /// are packed as 16 low nibbles (bytes 0–7, low then high nibble) plus 16 two-bit high parts
    /// (bytes 8–11); they are stored offset by 32. A *clear* hmask bit subtracts 4.
    static func q3_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 108)
        func scale(_ i: Int) -> Int {
            let low = i < 8 ? u8(x, 96 + i) & 0x0F : u8(x, 96 + i - 8) >> 4
            let high = (u8(x, 96 + 8 + i % 4) >> UInt8(2 * (i / 4))) & 3
            return Int(low | high << 4) - 32
        }
        var out = 0
        var scaleIndex = 0
        var maskBit: UInt8 = 1
        for half in 0..<2 {
            let qs = 32 + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let dl = d * Float(scale(scaleIndex))
                    scaleIndex += 1
                    for l in 0..<16 {
                        let position = 16 * group + l
                        let low = Int((u8(x, qs + position) >> UInt8(shift)) & 3)
                        let offset = u8(x, position) & maskBit != 0 ? 0 : 4
                        y[out] = dl * Float(low - offset)
                        out += 1
                    }
                }
                maskBit <<= 1
            }
        }
    }

    /// The 6-bit (scale, min) pair `j` of the 12 packed bytes of q4_K/q5_K: pairs 0–3 are the
    /// low 6 bits of bytes 0–3 / 4–7; pairs 4–7 take their low nibble from bytes 8–11 and their
    /// top 2 bits from the spare top bits of bytes 0–7 (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func scaleMinK4(_ x: UnsafeRawPointer, _ scales: Int, _ j: Int) -> (scale: Float, min: Float) {
        if j < 4 {
            return (Float(u8(x, scales + j) & 63), Float(u8(x, scales + j + 4) & 63))
        }
        let scale = (u8(x, scales + j + 4) & 0x0F) | (u8(x, scales + j - 4) >> 6) << 4
        let min = (u8(x, scales + j + 4) >> 4) | (u8(x, scales + j) >> 6) << 4
        return (Float(scale), Float(min))
    }

    /// `block_q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }`: 8 sub-blocks of 32;
    /// y = (d · scale) · q − (dmin · min).
    static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let dmin = half(x, 2)
        for chunk in 0..<4 {
            let qs = 16 + 32 * chunk
            for nibble in 0..<2 {
                let (scale, min) = scaleMinK4(x, 4, 2 * chunk + nibble)
                let d1 = d * scale
                let m1 = dmin * min
                for l in 0..<32 {
                    let q = (u8(x, qs + l) >> UInt8(4 * nibble)) & 0x0F
                    y[64 * chunk + 32 * nibble + l] = d1 * Float(q) - m1
                }
            }
        }
    }

    /// `block_q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] }`: as q4_K, with the
    /// 5th bit of sub-block `s` element `l` in bit `s` of `qh[l]`.
    static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let dmin = half(x, 2)
        for chunk in 0..<4 {
            let qs = 48 + 32 * chunk
            for nibble in 0..<2 {
                let subBlock = 2 * chunk + nibble
                let (scale, min) = scaleMinK4(x, 4, subBlock)
                let d1 = d * scale
                let m1 = dmin * min
                for l in 0..<32 {
                    let low = (u8(x, qs + l) >> UInt8(4 * nibble)) & 0x0F
                    let high = (u8(x, 16 + l) >> UInt8(subBlock)) & 1
                    y[32 * subBlock + l] = d1 * Float(low | high << 4) - m1
                }
            }
        }
    }

    /// `block_q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }`: 16 sub-blocks of 16 with
    /// signed 8-bit scales; q = (4 low bits | 2 high bits << 4) − 32; y = (d · scale) · q.
    static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 208)
        for half in 0..<2 {
            let ql = 64 * half
            let qh = 128 + 32 * half
            let scales = 192 + 8 * half
            for l in 0..<32 {
                let h = u8(x, qh + l)
                // Four outputs 32 apart share one qh byte (2 bits each) and two ql bytes.
                let q1 = Int((u8(x, ql + l) & 0x0F) | (h & 3) << 4) - 32
                let q2 = Int((u8(x, ql + l + 32) & 0x0F) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((u8(x, ql + l) >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((u8(x, ql + l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                let s = l / 16
                let base = 128 * half + l
                y[base] = d * Float(i8(x, scales + s)) * Float(q1)
                y[base + 32] = d * Float(i8(x, scales + s + 2)) * Float(q2)
                y[base + 64] = d * Float(i8(x, scales + s + 4)) * Float(q3)
                y[base + 96] = d * Float(i8(x, scales + s + 6)) * Float(q4)
            }
        }
    }

    /// `block_q8_K { f32 d; i8 qs[256]; i16 bsums[16] }`: y = d · q (bsums only serve dot
    /// products).
    static func q8_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = Float(bitPattern: u32(x, 0))
        for j in 0..<256 { y[j] = d * Float(i8(x, 4 + j)) }
    }
}
