import Foundation
import FloeTensor
import Testing

@testable import FloeWeights

@Suite struct GGUFFileTests {
    @Test func storiesHeaderAndMetadata() throws {
        let file = try GGUFFile(path: Fixtures.storiesGGUF)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.tensorNames.count == 47)
        #expect(file.metadataKeys.first == "general.architecture")
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 5)
        #expect(try file.int("llama.embedding_length") == 64)
        #expect(try file.int("llama.attention.head_count_kv") == 4)
        #expect(try file.float("llama.rope.freq_base") == 10000)
        #expect(try file.float("llama.attention.layer_norm_rms_epsilon") == Float(1e-5))
        #expect(try file.bool("tokenizer.ggml.add_bos_token"))
        let tokens = try file.stringArray("tokenizer.ggml.tokens")
        #expect(tokens.count == 512)
        #expect(tokens[0] == "<unk>")
        #expect(try file.floatArray("tokenizer.ggml.scores").count == 512)
        #expect(try file.intArray("tokenizer.ggml.token_type").count == 512)
        if case .array(let elementType, _)? = file.value("tokenizer.ggml.token_type") {
            #expect(elementType == .int32)
        } else {
            Issue.record("token_type is not an array")
        }
        #expect(try file.int("no.such.key", default: 7) == 7)
    }

    @Test func metadataErrorsNameFileAndKey() throws {
        let file = try GGUFFile(path: Fixtures.storiesGGUF)
        let wrongType = weightsError { _ = try file.int("general.architecture") }
        #expect(wrongType?.kind == .wrongMetadataType(expected: "integer", actual: "string"))
        #expect(wrongType?.description.contains("stories260K-f32.gguf") == true)
        #expect(wrongType?.description.contains("general.architecture") == true)
        let missing = weightsError { _ = try file.string("llama.nope") }
        #expect(missing?.kind == .missingMetadata)
        #expect(missing?.key == "llama.nope")
        #expect(weightsError { _ = try file.stringArray("tokenizer.ggml.scores") }?.kind
            == .wrongMetadataType(expected: "array of string", actual: "array of float32"))
    }

    @Test func storiesTensorsAreRowMajorZeroCopyViews() throws {
        let file = try GGUFFile(path: Fixtures.storiesGGUF)
        let embedding = try file.tensor("token_embd.weight", shape: [512, 64], dtypes: [.f32])
        #expect(embedding.storage === file.storage)
        #expect(embedding.byteOffset % file.alignment == 0)
        #expect(try file.tensor("blk.0.ffn_down.weight").shape == [64, 172])
        #expect(try file.tensor("output_norm.weight").shape == [64])
    }

    @Test func checkedLookupErrors() throws {
        let file = try GGUFFile(path: Fixtures.storiesGGUF)
        let missing = weightsError { _ = try file.tensor("blk.9.attn_q.weight") }
        #expect(missing?.kind == .missingTensor)
        #expect(missing?.description.contains("blk.9.attn_q.weight") == true)
        #expect(missing?.description.contains("stories260K-f32.gguf") == true)
        let shape = weightsError { _ = try file.tensor("token_embd.weight", shape: [64, 512]) }
        #expect(shape?.kind == .wrongShape(expected: [64, 512], actual: [512, 64]))
        #expect(shape?.tensor == "token_embd.weight")
        let dtype = weightsError { _ = try file.tensor("token_embd.weight", shape: [512, 64], dtypes: [.q4_0, .q8_0]) }
        #expect(dtype?.kind == .wrongDType(allowed: [.q4_0, .q8_0], actual: .f32))
        #expect(try file.optionalTensor("blk.0.attn_q.bias", shape: [64]) == nil)
    }

    /// The same trained weights through both readers. Q/K are left out on purpose: `llama`
    /// GGUFs store them permuted for interleaved RoPE.
    @Test(arguments: [
        ("token_embd.weight", "model.embed_tokens.weight"),
        ("output_norm.weight", "model.norm.weight"),
        ("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"),
        ("blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight"),
        ("blk.4.ffn_down.weight", "model.layers.4.mlp.down_proj.weight"),
    ])
    func ggufMatchesSafetensors(ggufName: String, safetensorsName: String) throws {
        let gguf = try GGUFFile(path: Fixtures.storiesGGUF)
        let safetensors = try SafetensorsFile(path: Fixtures.storiesSafetensors)
        let a = try gguf.tensor(ggufName)
        let b = try safetensors.tensor(safetensorsName)
        #expect(a.shape == b.shape)
        #expect(a.floats.map(\.bitPattern) == b.floats.map(\.bitPattern))
        #expect(dequantized(a).floats.map(\.bitPattern) == a.floats.map(\.bitPattern))
    }

    @Test func tensorOutlivesItsFile() throws {
        var file: GGUFFile? = try GGUFFile(path: Fixtures.storiesGGUF)
        let norm = try #require(try file?.tensor("output_norm.weight"))
        let before = norm.floats
        file = nil
        #expect(norm.floats == before)  // the mapping lives as long as the storage
    }

    @Test(.enabled(if: Fixtures.model(Fixtures.smolLM2Name) != nil, "needs models/\(Fixtures.smolLM2Name) (scripts/fetch-model.sh)"))
    func smolLM2() throws {
        let path = try #require(Fixtures.model(Fixtures.smolLM2Name))
        let clock = ContinuousClock()
        var file: GGUFFile?
        let elapsed = try clock.measure { file = try GGUFFile(path: path) }
        let gguf = try #require(file)
        print("opened \(Fixtures.smolLM2Name) in \(elapsed)")
        #expect(gguf.tensorNames.count == 272)
        #expect(try gguf.int("llama.block_count") == 30)
        #expect(try gguf.int("llama.embedding_length") == 576)
        #expect(try gguf.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try gguf.stringArray("tokenizer.ggml.merges").count == 48900)
        #expect(try gguf.stringArray("general.languages") == ["en"])
        #expect(try gguf.string("tokenizer.chat_template").contains("<|im_start|>"))
        let counts = Dictionary(gguf.tensorInfos.map { ($0.dtype, 1) }, uniquingKeysWith: +)
        #expect(counts == [.q4_1: 210, .f32: 61, .q8_0: 1])
        let embedding = try gguf.tensor("token_embd.weight", shape: [49152, 576], dtypes: [.q8_0])
        #expect(embedding.byteCount == 49152 * 576 / 32 * 34)
        #expect(try gguf.tensor("blk.0.ffn_down.weight").shape == [576, 1536])
        // Dequantizing a small whole tensor goes through the same rows as the golden test.
        let gate = dequantized(try gguf.tensor("blk.0.ffn_gate.weight", shape: [1536, 576], dtypes: [.q4_1]))
        #expect(gate.floats.allSatisfy { $0.isFinite })
    }

    @Test(.enabled(if: Fixtures.model(Fixtures.qwenName) != nil, "needs models/\(Fixtures.qwenName) (scripts/fetch-model.sh)"))
    func qwenK() throws {
        let path = try #require(Fixtures.model(Fixtures.qwenName))
        let clock = ContinuousClock()
        var file: GGUFFile?
        let elapsed = try clock.measure { file = try GGUFFile(path: path) }
        let gguf = try #require(file)
        print("opened \(Fixtures.qwenName) in \(elapsed)")
        #expect(try gguf.string("general.architecture") == "qwen2")
        #expect(try gguf.int("qwen2.block_count") == 24)
        #expect(try gguf.float("qwen2.rope.freq_base") == 1_000_000)
        #expect(try gguf.stringArray("tokenizer.ggml.tokens").count == 151936)
        let counts = Dictionary(gguf.tensorInfos.map { ($0.dtype, 1) }, uniquingKeysWith: +)
        #expect(counts == [.q5_0: 133, .f32: 121, .q8_0: 13, .q6_K: 12, .q4_K: 12])
        #expect(try gguf.tensor("token_embd.weight").shape == [151936, 896])
        #expect(try gguf.tensor("blk.0.ffn_down.weight", shape: [896, 4864], dtypes: [.q6_K, .q4_K]).dtype == .q6_K)
        #expect(try gguf.tensor("blk.0.attn_q.bias", shape: [896], dtypes: [.f32]).floats.allSatisfy { $0.isFinite })
        for name in ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_gate.weight"] {
            #expect(dequantized(try gguf.tensor(name)).floats.allSatisfy { $0.isFinite }, "\(name)")
        }
    }
}
