import Foundation
import FloeTensor
import Testing

@testable import FloeWeights

/// `dequantizeRow` against gguf-py's port of llama.cpp's reference, bit for bit
/// (fixtures from `scripts/make_dequant_goldens.py`).
@Suite struct DequantizeGoldenTests {
    struct Golden {
        var dtype: DType
        var blocks: [UInt8]
        var expected: [Float]
        var sources: [Source]
    }

    struct Source {
        var file: String
        var tensor: String
        var tensorBlock: Int
        var fixtureBlock: Int
        var blockCount: Int
    }

    static let goldenTypes: [DType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    static func golden(_ dtype: DType) throws -> Golden {
        let directory = Fixtures.dequantDirectory + "/"
        let blocks = try Fixtures.bytes(directory + dtype.rawValue + ".blocks")
        let expected = try Fixtures.bytes(directory + dtype.rawValue + ".f32").withUnsafeBytes {
            Array($0.bindMemory(to: Float.self))
        }
        let manifest = try Fixtures.bytes(directory + "manifest.json").withUnsafeBytes {
            try JSON.parse($0, path: "manifest.json")
        }
        let sources = (manifest[dtype.rawValue]?["sources"]?.array ?? []).compactMap { source -> Source? in
            guard let file = source["file"]?.string, let tensor = source["tensor"]?.string,
                let tensorBlock = source["tensorBlock"]?.integer, let fixtureBlock = source["fixtureBlock"]?.integer,
                let blockCount = source["blockCount"]?.integer
            else { return nil }
            return Source(file: file, tensor: tensor, tensorBlock: tensorBlock, fixtureBlock: fixtureBlock, blockCount: blockCount)
        }
        return Golden(dtype: dtype, blocks: blocks, expected: expected, sources: sources)
    }

    static func decode(_ dtype: DType, _ bytes: ArraySlice<UInt8>) -> [Float] {
        let count = bytes.count / dtype.blockBytes * dtype.blockSize
        var output = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer { dequantizeRow(dtype, from: source.baseAddress!, into: $0.baseAddress!, count: count) }
        }
        return output
    }

    static func expectBitExact(_ actual: [Float], _ expected: [Float], _ label: String) {
        #expect(actual.count == expected.count, "\(label): count")
        let mismatches = zip(actual, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        let first = mismatches.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" }
        let mismatchCount = mismatches.count
        #expect(mismatchCount == 0, "\(label): first mismatches \(first)")
    }

    @Test(arguments: goldenTypes)
    func matchesReference(dtype: DType) throws {
        let golden = try Self.golden(dtype)
        try #require(golden.blocks.count % dtype.blockBytes == 0 && golden.blocks.count / dtype.blockBytes * dtype.blockSize == golden.expected.count)
        Self.expectBitExact(Self.decode(dtype, golden.blocks[...]), golden.expected, "\(dtype)")
    }

    /// Blocks at an odd address: scale fields must be read unaligned.
    @Test(arguments: [DType.q4_K, .q6_K, .q5_0, .q8_0])
    func unalignedSource(dtype: DType) throws {
        let golden = try Self.golden(dtype)
        let shifted = [0x55] + golden.blocks
        Self.expectBitExact(Self.decode(dtype, shifted[1...]), golden.expected, "\(dtype) at odd address")
    }

    /// The real blocks in the fixtures, found again through the GGUF reader at the same tensor
    /// offsets: checks the reader's offsets and the dequantizer together on real data.
    @Test(
        .enabled(
            if: Fixtures.model(Fixtures.smolLM2Name) != nil || Fixtures.model(Fixtures.qwenName) != nil,
            "needs the GGUF models in models/ or $FLOE_MODELS_DIR (scripts/fetch-model.sh)"),
        arguments: [DType.q4_1, .q8_0, .q5_0, .q4_K, .q6_K])
    func realBlocksFromModelFiles(dtype: DType) throws {
        let golden = try Self.golden(dtype)
        for source in golden.sources {
            guard let path = Fixtures.model(source.file) else { continue }
            let file = try GGUFFile(path: path)
            let tensor = try file.tensor(source.tensor)
            #expect(tensor.dtype == dtype)
            let start = source.tensorBlock * dtype.blockBytes
            let length = source.blockCount * dtype.blockBytes
            let stored = Array(UnsafeRawBufferPointer(start: tensor.address + start, count: length))
            let fixtureStart = source.fixtureBlock * dtype.blockBytes
            #expect(stored == Array(golden.blocks[fixtureStart..<fixtureStart + length]), "\(source.tensor) bytes")
            let values = Self.decode(dtype, stored[...])
            let expectedStart = source.fixtureBlock * dtype.blockSize
            Self.expectBitExact(values, Array(golden.expected[expectedStart..<expectedStart + values.count]), source.tensor)
        }
    }

    @Test func q8KAndQ8_1() {
        // q8_K: f32 d, 256 int8, 16 int16 sums (ignored).
        var q8K = [UInt8](repeating: 0, count: DType.q8_K.blockBytes)
        q8K.setU32(Float(0.375).bitPattern, at: 0)
        for j in 0..<256 { q8K[4 + j] = UInt8(bitPattern: Int8(truncatingIfNeeded: j - 128)) }
        #expect(Self.decode(.q8_K, q8K[...]) == (0..<256).map { Float(0.375) * Float($0 - 128) })

        // q8_1: f16 d, f16 s (ignored), 32 int8.
        var q8_1 = [UInt8](repeating: 0, count: DType.q8_1.blockBytes)
        q8_1[0] = 0x00; q8_1[1] = 0xB8  // f16 -0.5
        q8_1[2] = 0xFF; q8_1[3] = 0x7B  // s = 65504, must not matter
        for j in 0..<32 { q8_1[4 + j] = UInt8(bitPattern: Int8(j - 16)) }
        #expect(Self.decode(.q8_1, q8_1[...]) == (0..<32).map { Float($0 - 16) * -0.5 })
    }

    @Test func plainAndIntegerTypes() {
        #expect(Self.decode(.f32, floatBytes([1.5, -0.0, .infinity])[...]).map(\.bitPattern) == [Float(1.5), -0.0, .infinity].map(\.bitPattern))
        #expect(Self.decode(.i8, [0xFF, 0x7F][...]) == [-1, 127])
        #expect(Self.decode(.i16, [0x00, 0x80][...]) == [-32768])
        #expect(Self.decode(.i32, [0xFE, 0xFF, 0xFF, 0xFF][...]) == [-2])
        #expect(Self.decode(.i64, [5, 0, 0, 0, 0, 0, 0, 0][...]) == [5])
        #expect(Self.decode(.f8e4m3, [0x38, 0x7E, 0x01, 0xB8, 0x00][...]) == [1, 448, 0x1p-9, -1, 0])
        #expect(Self.decode(.f8e4m3, [0x7F][...])[0].isNaN)
    }

    @Test func halfConversions() {
        #expect(Float(f16Bits: 0x3C00) == 1)
        #expect(Float(f16Bits: 0x0001) == 0x1p-24)
        #expect(Float(f16Bits: 0xFC00) == -.infinity)
        #expect(Float(f16Bits: 0x7E00).isNaN)
        #expect(Float(65520).f16Bits == 0x7C00)  // rounds up to infinity
        #expect(Float(1 + 0x1p-11).f16Bits == 0x3C00)  // tie to even
        #expect(Float(0x1p-25).f16Bits == 0)  // tie to even (zero)
        for bits in stride(from: 0, to: 0x7C00, by: 37) {  // finite f16 round-trips
            #expect(Float(f16Bits: UInt16(bits)).f16Bits == UInt16(bits))
        }
    }

    @Test func bfloat16Conversions() {
        #expect(Float(bf16Bits: 0x3F80) == 1)
        #expect(Float(bitPattern: 0x3F80_8000).bf16Bits == 0x3F80)  // tie to even (down)
        #expect(Float(bitPattern: 0x3F81_8000).bf16Bits == 0x3F82)  // tie to even (up)
        #expect(Float(bitPattern: 0x3F80_8001).bf16Bits == 0x3F81)
        #expect(Float(bitPattern: 0x7F7F_FFFF).bf16Bits == 0x7F80)  // max float rounds to inf
        #expect(Float(bitPattern: 0x7F80_0001).bf16Bits == 0x7FC0)  // NaN stays NaN, quiet
        #expect(Float(bitPattern: 0xFF80_0000).bf16Bits == 0xFF80)
    }
}
