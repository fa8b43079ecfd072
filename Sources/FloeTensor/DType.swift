/// The element types a tensor can hold: plain numbers and the block-quantized GGUF formats.
///
/// A block type stores `blockSize` consecutive elements of a row in `blockBytes` bytes; rows of
/// quantized tensors are always whole blocks, so a row can be found by `byteCount(elements:)`.
public enum DType: String, Sendable, CaseIterable, Codable {
    case f32, f16, bf16, f8e4m3
    case i8, i16, i32, i64
    case q4_0, q4_1, q5_0, q5_1, q8_0, q8_1
    case q2_K, q3_K, q4_K, q5_K, q6_K, q8_K

    /// Elements per block (1 for plain types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f8e4m3, .i8, .i16, .i32, .i64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: 256
        }
    }

    /// Bytes per block (the element size for plain types). Layouts are ggml's `block_*` structs.
    public var blockBytes: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .f8e4m3, .i8: 1
        case .i64: 8
        case .q4_0: 2 + 16
        case .q4_1: 2 + 2 + 16
        case .q5_0: 2 + 4 + 16
        case .q5_1: 2 + 2 + 4 + 16
        case .q8_0: 2 + 32
        case .q8_1: 2 + 2 + 32
        case .q2_K: 256 / 16 + 256 / 4 + 2 + 2
        case .q3_K: 256 / 8 + 256 / 4 + 12 + 2
        case .q4_K: 2 + 2 + 12 + 256 / 2
        case .q5_K: 2 + 2 + 12 + 256 / 8 + 256 / 2
        case .q6_K: 256 / 2 + 256 / 4 + 256 / 16 + 2
        case .q8_K: 4 + 256 + 2 * 256 / 16
        }
    }

    public var isQuantized: Bool { blockSize > 1 }

    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f8e4m3: true
        default: false
        }
    }

    /// Bytes needed for `elements` values; `nil` when `elements` is not a whole number of blocks.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
