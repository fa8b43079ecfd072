/// Scalar conversions between `Float` and the 16- and 8-bit float formats that weights are
/// stored in. These are the reference definitions: every SIMD or GPU conversion is tested
/// against them.
extension Float {
    /// The value of an IEEE 754 binary16 bit pattern. Exact: every f16 value (subnormals,
    /// infinities, NaN) is representable in f32.
    @inlinable
    public init(f16Bits bits: UInt16) {
        self = Float(Float16(bitPattern: bits))
    }

    /// The nearest binary16 (round to nearest, ties to even; overflow to infinity), as F16C's
    /// `vcvtps2ph` with rounding mode 0 and ggml's `GGML_FP32_TO_FP16` produce.
    @inlinable
    public var f16Bits: UInt16 { Float16(self).bitPattern }

    /// The value of a bfloat16 bit pattern: bf16 is the top half of an f32, so this is exact.
    @inlinable
    public init(bf16Bits bits: UInt16) {
        self = Float(bitPattern: UInt32(bits) << 16)
    }

    /// The nearest bfloat16, rounding to nearest even as ggml's `ggml_compute_fp32_to_bf16`
    /// and PyTorch do. NaN stays NaN (forced quiet) instead of being rounded into infinity.
    @inlinable
    public var bf16Bits: UInt16 {
        let bits = bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The value of an OCP FP8 E4M3 ("FN": no infinities) byte: sign, 4 exponent bits with
    /// bias 7, 3 mantissa bits; `S.1111.111` is NaN. Exact in f32.
    @inlinable
    public init(f8e4m3Bits bits: UInt8) {
        let sign: Float = bits & 0x80 == 0 ? 1 : -1
        let exponent = Int((bits >> 3) & 0x0F)
        let mantissa = Float(bits & 0x07)
        if exponent == 0x0F && bits & 0x07 == 0x07 {
            self = .nan
        } else if exponent == 0 {
            // Subnormal: mantissa · 2^(1 − 7 − 3).
            self = sign * mantissa * 0x1p-9
        } else {
            self = sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
    }
}
