import FloeWeights
import FloeTensor

extension LlamaConfig {
    /// Reads the hyper-parameters llama.cpp writes for the `llama` and `qwen2` architectures
    /// (`<arch>.block_count`, `<arch>.attention.head_count`, …). Missing required keys throw,
    /// naming the key and the file.
    public init(gguf file: GGUFFile) throws {
        let arch = try file.string("general.architecture")
        guard Self.ggufArchitectures.keys.contains(arch) else { throw ModelError.unsupportedArchitecture(arch) }
        let headCount = try file.int("\(arch).attention.head_count")
        let hiddenSize = try file.int("\(arch).embedding_length")
        let embedding = file.info("token_embd.weight")
        let vocabulary = try file.int("\(arch).vocab_size", default: embedding?.shape[0] ?? 0)
        if try file.string("\(arch).rope.scaling.type", default: "none") != "none" {
            throw ModelError.invalidConfig(
                "\(file.path): RoPE scaling '\(try file.string("\(arch).rope.scaling.type"))' is not supported")
        }
        var eos: [Int] = []
        if let id = try? file.int("tokenizer.ggml.eos_token_id") { eos.append(id) }
        try self.init(
            architecture: Self.ggufArchitectures[arch]!,
            hiddenSize: hiddenSize,
            intermediateSize: try file.int("\(arch).feed_forward_length"),
            layerCount: try file.int("\(arch).block_count"),
            headCount: headCount,
            kvHeadCount: try file.int("\(arch).attention.head_count_kv", default: headCount),
            headDim: try file.int("\(arch).attention.key_length", default: hiddenSize / max(headCount, 1)),
            vocabularySize: vocabulary,
            maxPositions: try file.int("\(arch).context_length"),
            rmsNormEpsilon: try file.float("\(arch).attention.layer_norm_rms_epsilon"),
            rope: RoPEConfig(theta: try file.float("\(arch).rope.freq_base", default: 10_000)),
            tiedEmbeddings: !file.contains("output.weight"),
            hasQKVBias: file.contains("blk.0.attn_q.bias"),
            bosTokenID: try? file.int("tokenizer.ggml.bos_token_id"),
            eosTokenIDs: eos)
    }

    /// GGUF architecture names and the Hugging Face class each corresponds to.
    static let ggufArchitectures = ["llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "mistral": "MistralForCausalLM"]

    /// llama.cpp permutes Q/K rows of `llama`-architecture files for interleaved-pair RoPE;
    /// `qwen2` files keep Hugging Face's rotate-half layout.
    static func ggufRoPEStyle(architecture: String) -> RoPEStyle {
        architecture == "qwen2" ? .halves : .interleaved
    }
}
