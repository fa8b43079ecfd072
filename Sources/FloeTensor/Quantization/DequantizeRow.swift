/// The reference dequantization of every `DType`: one row (or any run of whole blocks) to f32.
///
/// Bit-exact with llama.cpp's `dequantize_row_*` in ggml-quants.c as its Python port
/// (`gguf.quants`) computes them: products and sums are rounded one operation at a time in
/// the same order, never fused into an FMA. Swift does not contract `a * b - c` on its own, so
/// writing the formulas plainly keeps that promise. Scale fields are little-endian and may sit
/// at any byte address, so every multi-byte field is read with an unaligned load.
///
/// Kernels (SIMD, GPU) are tested against this, so it favours clarity over speed.
///
/// - Parameters:
///   - source: the first byte of the first block.
///   - destination: room for `count` floats.
///   - count: elements to produce; a whole number of `dtype.blockSize` blocks.
public func dequantizeRow(
    _ dtype: DType, from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int
) {
    precondition(count >= 0 && count % dtype.blockSize == 0, "\(count) elements is not whole \(dtype) blocks")
    let blocks = count / dtype.blockSize
    let blockFunction: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
    switch dtype {
    case .f32:
        // Bytes may be unaligned (safetensors does not promise alignment), so no typed copy.
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        return
    case .f16:
        for i in 0..<count { destination[i] = Float(f16Bits: QuantBlock.u16(source, 2 * i)) }
        return
    case .bf16:
        for i in 0..<count { destination[i] = Float(bf16Bits: QuantBlock.u16(source, 2 * i)) }
        return
    case .f8e4m3:
        for i in 0..<count { destination[i] = Float(f8e4m3Bits: QuantBlock.u8(source, i)) }
        return
    // Integer tensors (token ids, position ids) convert by value, rounding to nearest.
    case .i8:
        for i in 0..<count { destination[i] = Float(Int8(bitPattern: QuantBlock.u8(source, i))) }
        return
    case .i16:
        for i in 0..<count { destination[i] = Float(Int16(bitPattern: QuantBlock.u16(source, 2 * i))) }
        return
    case .i32:
        for i in 0..<count { destination[i] = Float(Int32(bitPattern: QuantBlock.u32(source, 4 * i))) }
        return
    case .i64:
        for i in 0..<count {
            let value = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            destination[i] = Float(Int64(bitPattern: value))
        }
        return
    case .q4_0: blockFunction = QuantBlock.q4_0
    case .q4_1: blockFunction = QuantBlock.q4_1
    case .q5_0: blockFunction = QuantBlock.q5_0
    case .q5_1: blockFunction = QuantBlock.q5_1
    case .q8_0: blockFunction = QuantBlock.q8_0
    case .q8_1: blockFunction = QuantBlock.q8_1
    case .q2_K: blockFunction = QuantBlock.q2_K
    case .q3_K: blockFunction = QuantBlock.q3_K
    case .q4_K: blockFunction = QuantBlock.q4_K
    case .q5_K: blockFunction = QuantBlock.q5_K
    case .q6_K: blockFunction = QuantBlock.q6_K
    case .q8_K: blockFunction = QuantBlock.q8_K
    }
    for block in 0..<blocks {
        blockFunction(source + block * dtype.blockBytes, destination + block * dtype.blockSize)
    }
}

/// One function per block format: `(first byte of a block, its blockSize outputs)`.
/// Field offsets follow ggml's `block_*` structs (ggml-common.h), which are packed.
enum QuantBlock {
    @inline(__always)
    static func u8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    static func i8(_ p: UnsafeRawPointer, _ offset: Int) -> Int {
        Int(Int8(bitPattern: u8(p, offset)))
    }

    @inline(__always)
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// An f16 scale field, widened to f32 (exact).
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(f16Bits: u16(p, offset))
    }
}
