import FloeTensor
import Foundation
import Testing

@testable import FloeCUDA

/// The CUDA backend's host-side parts, which run without a GPU.
@Suite struct HostSideTests {
    /// A producer's 16-bit GEMM input copy is used only for its own tensor, type and moment: a
    /// different address, size or type, or any stream work since the producer, means no copy.
    @Test func gemmInputCopyIsUsedOnlyWhileFresh() {
        let offered = GEMMInputCopy(source: 0x1000, elements: 4096, copy: 0x9000, dtype: .bf16, streamWork: 17)
        #expect(offered.copy(of: 0x1000, elements: 4096, dtype: .bf16, streamWork: 17) == 0x9000)
        #expect(offered.copy(of: 0x1000, elements: 4096, dtype: .bf16, streamWork: 18) == nil)
        #expect(offered.copy(of: 0x1004, elements: 4096, dtype: .bf16, streamWork: 17) == nil)
        #expect(offered.copy(of: 0x1000, elements: 4095, dtype: .bf16, streamWork: 17) == nil)
        #expect(offered.copy(of: 0x1000, elements: 4096, dtype: .f16, streamWork: 17) == nil)
    }

    @Test func weightsConvertToSixteenBitsLikeTheReference() {
        let values: [Float] = [0, 1, -2.5, 3.14159, 1e-8, 65_504, -0.1]
        let host = Tensor(values, shape: [1, values.count])
        let bf16 = HostConversion.convert(host, to: .bf16)
        let f16 = HostConversion.convert(host, to: .f16)
        bf16.withUnsafeBytes { raw in
            for (i, value) in values.enumerated() { #expect(raw.load(fromByteOffset: 2 * i, as: UInt16.self) == value.bf16Bits) }
        }
        f16.withUnsafeBytes { raw in
            for (i, value) in values.enumerated() { #expect(raw.load(fromByteOffset: 2 * i, as: UInt16.self) == value.f16Bits) }
        }
    }

    @Test func quantizedWeightsAreDequantizedRowByRow() {
        // Two Q8_0 rows of 32: scale 0.5 (f16 0x3800) and 0.25 (0x3400), quants 0...31 and -16...15.
        var bytes: [UInt8] = []
        for (scaleBits, offset) in [(UInt16(0x3800), 0), (UInt16(0x3400), -16)] {
            bytes += [UInt8(scaleBits & 0xFF), UInt8(scaleBits >> 8)]
            bytes += (0..<32).map { UInt8(bitPattern: Int8($0 + offset)) }
        }
        let storage = Storage.allocateHost(byteCount: bytes.count)
        bytes.withUnsafeBytes { storage.address.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let host = Tensor(storage: storage, shape: [2, 32], dtype: .q8_0)
        let converted = HostConversion.convert(host, to: .f32)
        let floats = converted.withUnsafeBytes { raw in (0..<64).map { raw.load(fromByteOffset: 4 * $0, as: Float.self) } }
        let first: [Float] = (0..<32).map { Float($0) * 0.5 }
        let second: [Float] = (0..<32).map { Float($0 - 16) * 0.25 }
        #expect(floats == first + second)
    }

    @Test func allocationSizesRoundToBoundedGranules() {
        #expect(CUDAAllocator.roundedSize(0) == 512)
        #expect(CUDAAllocator.roundedSize(513) == 1024)
        #expect(CUDAAllocator.roundedSize((1 << 20) - 1) == 1 << 20)
        #expect(CUDAAllocator.roundedSize((1 << 20) + 1) == 2 << 20)
        #expect(CUDAAllocator.roundedSize(5 << 20) == 6 << 20)
    }

    @Test func attentionSharedMemoryFitsTheStaticLimitForEverySupportedShape() {
        #expect(AttentionKernels.sharedBytes(group: AttentionKernels.maxGroup, headDim: AttentionKernels.maxHeadDim) <= 48 * 1024)
    }

    @Test func encoderAttentionTilesCoverEveryHeadSizeUpToTheLimit() {
        // Every head size maps to the smallest bucket that holds it, and the largest is supported.
        for hd in 1...EncoderKernels.maxHeadDim {
            let bucket = EncoderKernels.headDimBucket(hd)
            #expect(bucket >= hd && [32, 64, 128].contains(bucket) && (bucket == 32 || bucket / 2 < hd))
        }
        #expect(EncoderKernels.queriesPerWarp(headDimBucket: 128) == 4 && EncoderKernels.queriesPerWarp(headDimBucket: 64) == 8)
    }

    @Test func encoderSequenceStartsAreRunningSums() {
        #expect(CUDABackend.sequenceStarts([3, 1, 512, 2]) == [0, 3, 4, 516, 518])
        #expect(CUDABackend.sequenceStarts([]) == [0])
    }

    @Test func missingDriverIsAClearError() throws {
        guard !FileManager.default.fileExists(atPath: "/dev/nvidiactl") else { return }  // a GPU machine
        #expect {
            try CUDABackend()
        } throws: { error in
            "\(error)".contains("driver") || "\(error)".contains("GPU")
        }
    }
}
