import Foundation
import FloeTensor
import Testing

@testable import FloeWeights

/// Real fixture files, damaged in one precise way each: every case must throw the specific
/// `WeightsError` (never crash, never open), naming the file and the tensor where there is one.
@Suite struct DamagedGGUFTests {
    let original: [UInt8]
    let intact: GGUFFile

    init() throws {
        original = try Fixtures.bytes(Fixtures.storiesGGUF)
        intact = try GGUFFile(path: Fixtures.storiesGGUF)
    }

    /// Opens a damaged copy and returns the error, checking it names the copy's file.
    func openDamaged(_ edit: (inout [UInt8]) -> Void, sourceLocation: SourceLocation = #_sourceLocation) throws -> WeightsError? {
        let directory = try TemporaryDirectory()
        var bytes = original
        edit(&bytes)
        let path = try directory.write("damaged.gguf", bytes)
        let error = weightsError({ _ = try GGUFFile(path: path) }, sourceLocation: sourceLocation)
        #expect(error?.description.contains("damaged.gguf") == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        return error
    }

    /// The byte offset of the tensor info field after `name` (n_dims), found by the length-prefixed name.
    func infoOffset(_ name: String) throws -> Int {
        var pattern = [UInt8](repeating: 0, count: 8)
        pattern.setU64(UInt64(name.utf8.count), at: 0)
        pattern += Array(name.utf8)
        return try #require(original.find(pattern)) + pattern.count
    }

    @Test func badMagic() throws {
        let error = try openDamaged { $0[3] = UInt8(ascii: "X") }
        #expect(error?.kind == .badMagic(found: "'GGUX'"))
    }

    @Test(arguments: [UInt32(1), 4, 0x0300_0000])
    func unsupportedVersion(version: UInt32) throws {
        let error = try openDamaged { $0.setU32(version, at: 4) }
        #expect(error?.kind == .unsupportedVersion(version))
    }

    @Test func absurdTensorCount() throws {
        let error = try openDamaged { $0.setU64(1 << 50, at: 8) }
        #expect(error?.kind == .implausibleSize(what: "tensor count", value: 1 << 50))
    }

    @Test func absurdStringLength() throws {
        // The first metadata key's length field follows the 24-byte file header.
        let error = try openDamaged { $0.setU64(UInt64.max / 2, at: 24) }
        #expect(error?.kind == .implausibleSize(what: "length of key of metadata pair 0", value: UInt64.max / 2))
    }

    @Test func absurdArrayCount() throws {
        let key = Array("tokenizer.ggml.tokens".utf8)
        let keyEnd = try #require(original.find(key)) + key.count
        // key, u32 type (array), u32 element type (string), u64 count.
        let error = try openDamaged { $0.setU64(1 << 40, at: keyEnd + 8) }
        #expect(error?.kind == .implausibleSize(what: "element count of tokenizer.ggml.tokens", value: 1 << 40))
    }

    @Test func unknownMetadataType() throws {
        let key = Array("llama.block_count".utf8)
        let keyEnd = try #require(original.find(key)) + key.count
        let error = try openDamaged { $0.setU32(77, at: keyEnd) }
        #expect(error?.kind == .badHeader(reason: "unknown metadata value type 77"))
        #expect(error?.key == "llama.block_count")
    }

    @Test func badAlignment() throws {
        // "llama.block_count" (uint32 5) renamed to the equally long "general.alignment".
        let key = try #require(original.find(Array("llama.block_count".utf8)))
        let error = try openDamaged { $0.replaceSubrange(key..<key + 17, with: Array("general.alignment".utf8)) }
        #expect(error?.kind == .badHeader(reason: "alignment must be a power-of-two uint32, found uint32(5)"))
        #expect(error?.key == "general.alignment")
    }

    @Test func bigEndianFileIsNamedAsSuch() throws {
        let error = try openDamaged { $0.setU32(UInt32(3).byteSwapped, at: 4) }
        #expect(error?.description.contains("big-endian") == true)
    }

    @Test func truncatedInsideHeader() throws {
        let error = try openDamaged { $0.removeLast($0.count - 5000) }
        guard case .truncated? = error?.kind else { Issue.record("expected truncated, got \(String(describing: error))"); return }
    }

    @Test func truncatedAfterMagic() throws {
        let error = try openDamaged { $0.removeLast($0.count - 6) }
        #expect(error?.kind == .truncated(what: "version"))
    }

    @Test func emptyFile() throws {
        let error = try openDamaged { $0 = [] }
        #expect(error?.kind == .truncated(what: "magic"))
    }

    @Test func truncatedInsideTensorData() throws {
        let last = try #require(intact.tensorInfos.max { $0.fileOffset < $1.fileOffset })
        let error = try openDamaged { $0.removeLast($0.count - (last.fileOffset + 10)) }
        guard case .dataOutOfBounds? = error?.kind else { Issue.record("expected dataOutOfBounds, got \(String(describing: error))"); return }
        #expect(error?.tensor == last.name)
        #expect(error?.description.contains(last.name) == true)
    }

    @Test func unknownGGMLType() throws {
        let field = try infoOffset("output_norm.weight")  // n_dims = 1, one u64 dim, then type
        let error = try openDamaged { $0.setU32(99, at: field + 4 + 8) }
        #expect(error?.kind == .unknownDType("ggml type id 99"))
        #expect(error?.tensor == "output_norm.weight")
        #expect(error?.description.contains("99") == true)
    }

    @Test func retiredGGMLTypeID() throws {
        let field = try infoOffset("output_norm.weight")
        let error = try openDamaged { $0.setU32(4, at: field + 4 + 8) }  // Q4_2, removed from ggml
        #expect(error?.kind == .unknownDType("ggml type id 4"))
    }

    @Test func rowNotWholeBlocks() throws {
        let field = try infoOffset("output_norm.weight")  // 64 f32 -> q4_K needs 256 per row
        let error = try openDamaged { $0.setU32(12, at: field + 4 + 8) }
        #expect(error?.kind == .sizeMismatch(shape: [64], dtype: "q4_K", bytes: nil))
        #expect(error?.tensor == "output_norm.weight")
    }

    @Test func rankAboveFour() throws {
        let field = try infoOffset("output_norm.weight")
        let error = try openDamaged { $0.setU32(9, at: field) }
        #expect(error?.kind == .badHeader(reason: "rank 9 exceeds 4"))
    }

    @Test func misalignedOffset() throws {
        let field = try infoOffset("output_norm.weight")
        let offsetField = field + 4 + 8 + 4
        let error = try openDamaged { $0.setU64($0.u64(at: offsetField) + 4, at: offsetField) }
        guard case .misalignedOffset(_, 32)? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.tensor == "output_norm.weight")
    }

    @Test func overlappingTensors() throws {
        // Point blk.0.attn_norm.weight at output_norm.weight's bytes (both [64] f32).
        let source = try infoOffset("output_norm.weight") + 4 + 8 + 4
        let target = try infoOffset("blk.0.attn_norm.weight") + 4 + 8 + 4
        let error = try openDamaged { $0.setU64($0.u64(at: source), at: target) }
        guard case .overlappingData? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.contains("output_norm.weight") == true)
        #expect(error?.description.contains("blk.0.attn_norm.weight") == true)
    }

    @Test func offsetPastEndOfFile() throws {
        let field = try infoOffset("output_norm.weight") + 4 + 8 + 4
        let error = try openDamaged { $0.setU64(1 << 40, at: field) }
        #expect(error?.kind == .dataOutOfBounds(begin: 1 << 40, end: (1 << 40) + 256, available: UInt64(original.count - 14208)))
        #expect(error?.tensor == "output_norm.weight")
    }

    @Test func missingFile() {
        let error = weightsError { _ = try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(error?.path == "/nonexistent/model.gguf")
        guard case .cannotOpen? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
    }
}

@Suite struct DamagedSafetensorsTests {
    let original: [UInt8]
    let header: String
    let data: [UInt8]

    init() throws {
        original = try Fixtures.bytes(Fixtures.storiesSafetensors)
        (header, data) = SafetensorsWriter.split(original)
    }

    func open(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> WeightsError? {
        let directory = try TemporaryDirectory()
        let path = try directory.write("damaged.safetensors", bytes)
        let error = weightsError({ _ = try SafetensorsFile(path: path) }, sourceLocation: sourceLocation)
        #expect(error?.description.contains("damaged.safetensors") == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        return error
    }

    /// The file with its header text edited (the data section unchanged).
    func editedHeader(_ of: String, _ with: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> WeightsError? {
        #expect(header.contains(of), "fixture header lacks \(of)", sourceLocation: sourceLocation)
        let edited = header.replacingOccurrences(of: of, with: with)
        return try open(SafetensorsWriter.encode(header: edited, data: data), sourceLocation: sourceLocation)
    }

    let embedding = #""model.embed_tokens.weight":{"dtype":"F32","shape":[512,64],"data_offsets":[0,131072]}"#

    @Test func badJSON() throws {
        let error = try open(SafetensorsWriter.encode(header: String(header.dropLast(20)), data: data))
        guard case .badHeader(let reason)? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("JSON"))
    }

    @Test func headerNotAnObject() throws {
        let error = try open(SafetensorsWriter.encode(header: "[1, 2]", data: data))
        #expect(error?.kind == .badHeader(reason: "header is not a JSON object"))
    }

    @Test func unknownDTypeString() throws {
        let error = try editedHeader(embedding, embedding.replacingOccurrences(of: "F32", with: "F33"))
        #expect(error?.kind == .unknownDType("F33"))
        #expect(error?.tensor == "model.embed_tokens.weight")
    }

    @Test func shapeDoesNotMatchBytes() throws {
        let error = try editedHeader(embedding, embedding.replacingOccurrences(of: "[512,64]", with: "[512,65]"))
        #expect(error?.kind == .sizeMismatch(shape: [512, 65], dtype: "F32", bytes: 131072))
        #expect(error?.description.contains("model.embed_tokens.weight") == true)
    }

    @Test func negativeDimension() throws {
        let error = try editedHeader(embedding, embedding.replacingOccurrences(of: "[512,64]", with: "[-512,-64]"))
        guard case .badHeader? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.tensor == "model.embed_tokens.weight")
    }

    @Test func dataOffsetsOutOfRange() throws {
        let moved = embedding.replacingOccurrences(of: "[0,131072]", with: "[\(data.count),\(data.count + 131072)]")
        let error = try editedHeader(embedding, moved)
        #expect(error?.kind == .dataOutOfBounds(begin: UInt64(data.count), end: UInt64(data.count + 131072), available: UInt64(data.count)))
        #expect(error?.tensor == "model.embed_tokens.weight")
    }

    @Test func dataOffsetsReversed() throws {
        let error = try editedHeader(embedding, embedding.replacingOccurrences(of: "[0,131072]", with: "[131072,0]"))
        guard case .badHeader? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func overlappingData() throws {
        // The first layer norm (256 bytes right after the embedding) moved into the embedding.
        let norm = #""data_offsets":[131072,131328]"#
        let error = try editedHeader(norm, #""data_offsets":[1024,1280]"#)
        #expect(error?.kind == .overlappingData(other: "model.embed_tokens.weight"))
        #expect(error?.tensor == "model.layers.0.input_layernorm.weight")
    }

    @Test func absurdHeaderLength() throws {
        var bytes = original
        bytes.setU64(1 << 40, at: 0)
        #expect(try open(bytes)?.kind == .implausibleSize(what: "header length", value: 1 << 40))
    }

    @Test func truncatedInsideHeader() throws {
        let error = try open(Array(original.prefix(100)))
        guard case .truncated? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func truncatedInsideData() throws {
        let error = try open(Array(original.dropLast(100)))
        guard case .dataOutOfBounds? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.tensor != nil)
    }

    @Test func unsupportedButKnownDTypeOpensLazily() throws {
        let asF64 = embedding.replacingOccurrences(of: "F32", with: "F64").replacingOccurrences(of: "[512,64]", with: "[512,32]")
        let edited = header.replacingOccurrences(of: embedding, with: asF64)
        let directory = try TemporaryDirectory()
        let path = try directory.write("f64.safetensors", SafetensorsWriter.encode(header: edited, data: data))
        let file = try SafetensorsFile(path: path)
        let error = weightsError { _ = try file.tensor("model.embed_tokens.weight") }
        #expect(error?.kind == .unsupportedDType("F64"))
        #expect(error?.description.contains("f64.safetensors") == true)
        #expect(try file.tensor("model.norm.weight").shape == [64])
    }
}
