/// Tensor names of a Llama-family checkpoint, in Hugging Face or GGUF spelling.
public struct LlamaWeightNames: Sendable {
    public enum Scheme: Sendable { case huggingFace, gguf }
    public let scheme: Scheme

    public init(_ scheme: Scheme) { self.scheme = scheme }

    public var embedding: String { scheme == .gguf ? "token_embd.weight" : "model.embed_tokens.weight" }
    public var finalNorm: String { scheme == .gguf ? "output_norm.weight" : "model.norm.weight" }
    public var lmHead: String { scheme == .gguf ? "output.weight" : "lm_head.weight" }
    /// llama.cpp stores Llama 3.1's RoPE scaling as per-pair frequency divisors.
    public var ropeFrequencyFactors: String { "rope_freqs.weight" }

    public func layer(_ index: Int) -> Layer { Layer(scheme: scheme, index: index) }

    public struct Layer: Sendable {
        let scheme: Scheme
        let index: Int

        private func name(_ gguf: String, _ hf: String) -> String {
            scheme == .gguf ? "blk.\(index).\(gguf)" : "model.layers.\(index).\(hf)"
        }

        public var attentionNorm: String { name("attn_norm.weight", "input_layernorm.weight") }
        public var query: String { name("attn_q.weight", "self_attn.q_proj.weight") }
        public var key: String { name("attn_k.weight", "self_attn.k_proj.weight") }
        public var value: String { name("attn_v.weight", "self_attn.v_proj.weight") }
        public var queryBias: String { name("attn_q.bias", "self_attn.q_proj.bias") }
        public var keyBias: String { name("attn_k.bias", "self_attn.k_proj.bias") }
        public var valueBias: String { name("attn_v.bias", "self_attn.v_proj.bias") }
        public var output: String { name("attn_output.weight", "self_attn.o_proj.weight") }
        public var mlpNorm: String { name("ffn_norm.weight", "post_attention_layernorm.weight") }
        public var gate: String { name("ffn_gate.weight", "mlp.gate_proj.weight") }
        public var up: String { name("ffn_up.weight", "mlp.up_proj.weight") }
        public var down: String { name("ffn_down.weight", "mlp.down_proj.weight") }
    }
}
