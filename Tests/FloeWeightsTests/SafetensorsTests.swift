import Foundation
import FloeTensor
import Testing

@testable import FloeWeights

@Suite struct SafetensorsTests {
    @Test func storiesFile() throws {
        let file = try SafetensorsFile(path: Fixtures.storiesSafetensors)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames.count == 47)  // 48 header entries, one is __metadata__
        let embedding = try file.tensor("model.embed_tokens.weight", shape: [512, 64], dtypes: [.f32, .f16, .bf16])
        #expect(embedding.storage === file.storage)
        #expect(try file.tensor("model.layers.0.mlp.down_proj.weight").shape == [64, 172])
        let info = try #require(file.info("model.layers.0.input_layernorm.weight"))
        #expect(info.dtypeName == "F32" && info.byteCount == 256)
    }

    @Test func checkpointFromSingleFileDirectory() throws {
        let checkpoint = try SafetensorsCheckpoint(path: Fixtures.root + "/Tests/Fixtures/stories260K/hf")
        #expect(checkpoint.files.count == 1)
        #expect(try checkpoint.tensor("model.norm.weight").shape == [64])
        let missing = weightsError { _ = try checkpoint.tensor("lm_head.weight") }
        #expect(missing?.kind == .missingTensor)
        #expect(missing?.tensor == "lm_head.weight")
    }

    /// Every dtype Floe holds, plus the I64/I32 buffers real checkpoints carry (MiniLM's
    /// `embeddings.position_ids`), must open and read back.
    @Test func integerAndHalfTensorsOpen() throws {
        let directory = try TemporaryDirectory()
        let positions = (0..<4).flatMap { i in (0..<8).map { UInt8($0 == 0 ? i : 0) } }
        let path = try directory.write(
            "mixed.safetensors",
            SafetensorsWriter.encode([
                .init(name: "embeddings.position_ids", dtype: "I64", shape: [1, 4], data: positions),
                .init(name: "ids", dtype: "I32", shape: [2], data: [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
                .init(name: "half", dtype: "F16", shape: [2], data: [0x00, 0x3C, 0x00, 0xC0]),
                .init(name: "brain", dtype: "BF16", shape: [1], data: [0x80, 0x3F]),
                .init(name: "flags", dtype: "BOOL", shape: [3], data: [1, 0, 1]),
                .init(name: "empty", dtype: "F32", shape: [0, 4], data: []),
            ], metadata: ["format": "pt"]))
        let file = try SafetensorsFile(path: path)
        #expect(dequantized(try file.tensor("embeddings.position_ids", shape: [1, 4], dtypes: [.i64])).floats == [0, 1, 2, 3])
        #expect(dequantized(try file.tensor("ids")).floats == [7, -1])
        #expect(dequantized(try file.tensor("half")).floats == [1, -2])
        #expect(dequantized(try file.tensor("brain")).floats == [1])
        #expect(try file.tensor("empty").elementCount == 0)
        let bool = weightsError { _ = try file.tensor("flags") }
        #expect(bool?.kind == .unsupportedDType("BOOL"))
        #expect(bool?.tensor == "flags")
    }

    @Test func shardedCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [-1, -2]
        let c: [Float] = [0.5, 0.25, 0.125]
        try directory.write(
            "model-00001-of-00002.safetensors",
            SafetensorsWriter.encode([
                .init(name: "layers.0.weight", dtype: "F32", shape: [2, 3], data: floatBytes(a)),
                .init(name: "layers.0.bias", dtype: "F32", shape: [2], data: floatBytes(b)),
            ]))
        try directory.write(
            "model-00002-of-00002.safetensors",
            SafetensorsWriter.encode([.init(name: "norm.weight", dtype: "F32", shape: [3], data: floatBytes(c))]))
        let index = """
            {"metadata": {"total_size": 44}, "weight_map": {
              "layers.0.weight": "model-00001-of-00002.safetensors",
              "layers.0.bias": "model-00001-of-00002.safetensors",
              "norm.weight": "model-00002-of-00002.safetensors"}}
            """
        try directory.write(SafetensorsCheckpoint.indexFileName, Array(index.utf8))

        let checkpoint = try SafetensorsCheckpoint(path: directory.path)
        #expect(checkpoint.files.count == 2)
        #expect(checkpoint.tensorNames == ["layers.0.weight", "layers.0.bias", "norm.weight"])
        #expect(try checkpoint.tensor("layers.0.weight", shape: [2, 3], dtypes: [.f32]).floats == a)
        #expect(try checkpoint.tensor("layers.0.bias").floats == b)
        #expect(try checkpoint.tensor("norm.weight").floats == c)
        #expect(checkpoint.file(containing: "norm.weight")?.path.hasSuffix("model-00002-of-00002.safetensors") == true)
        let wrongShape = weightsError { _ = try checkpoint.tensor("norm.weight", shape: [4]) }
        #expect(wrongShape?.kind == .wrongShape(expected: [4], actual: [3]))
    }

    @Test func shardIndexPointingAtWrongShard() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "a.safetensors", SafetensorsWriter.encode([.init(name: "x", dtype: "F32", shape: [1], data: floatBytes([1]))]))
        try directory.write(SafetensorsCheckpoint.indexFileName, Array(#"{"weight_map": {"y": "a.safetensors"}}"#.utf8))
        let error = weightsError { _ = try SafetensorsCheckpoint(path: directory.path) }
        #expect(error?.kind == .missingTensor)
        #expect(error?.tensor == "y")
        #expect(error?.path.hasSuffix("a.safetensors") == true)

        try directory.write(SafetensorsCheckpoint.indexFileName, Array(#"{"weight_map": {"x": "../a.safetensors"}}"#.utf8))
        #expect(weightsError { _ = try SafetensorsCheckpoint(path: directory.path) }?.tensor == "x")
    }

    @Test func emptyDirectoryIsAnError() throws {
        let directory = try TemporaryDirectory()
        let error = weightsError { _ = try SafetensorsCheckpoint(path: directory.path) }
        #expect(error?.path == directory.path)
        if case .cannotOpen = error?.kind {} else { Issue.record("expected cannotOpen, got \(String(describing: error))") }
    }

    @Test func jsonEscapesAndNumbers() throws {
        let text = #"{"a\"b\u00e9\ud83d\ude00": [1, -2, 3.5e0, true, null], "big": 9007199254740993}"#
        let json = try Array(text.utf8).withUnsafeBytes { try JSON.parse($0, path: "x") }
        #expect(json["a\"bé😀"] == .array([.integer(1), .integer(-2), .number(3.5), .bool(true), .null]))
        #expect(json["big"] == .integer(9_007_199_254_740_993))  // exact beyond 2^53
        for bad in [#"{"a": }"#, #"{"a": 1"#, #"["\x"]"#, "[1] 2", #"{"a": 99999999999999999999}"#, #"["\u+041"]"#] {
            #expect(throws: WeightsError.self) { try Array(bad.utf8).withUnsafeBytes { try JSON.parse($0, path: "x") } }
        }
    }
}
