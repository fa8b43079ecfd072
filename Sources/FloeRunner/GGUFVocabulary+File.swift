import FloeTokenizers
import FloeWeights

extension GGUFVocabulary {
    /// The `tokenizer.ggml.*` metadata of a GGUF file. (FloeTokenizers knows no file formats;
    /// this is where the two meet.)
    public init(file: GGUFFile) throws {
        func optionalInt(_ key: String) throws -> Int? { file.value(key) == nil ? nil : try file.int(key) }
        func optionalBool(_ key: String) throws -> Bool? { file.value(key) == nil ? nil : try file.bool(key) }
        self.init(
            model: try file.string("tokenizer.ggml.model"),
            pre: file.value("tokenizer.ggml.pre") == nil ? nil : try file.string("tokenizer.ggml.pre"),
            tokens: try file.stringArray("tokenizer.ggml.tokens"),
            scores: file.value("tokenizer.ggml.scores") == nil ? nil : try file.floatArray("tokenizer.ggml.scores"),
            tokenTypes: file.value("tokenizer.ggml.token_type") == nil
                ? nil : try file.intArray("tokenizer.ggml.token_type").map { Int32(truncatingIfNeeded: $0) },
            merges: file.value("tokenizer.ggml.merges") == nil ? nil : try file.stringArray("tokenizer.ggml.merges"),
            bosTokenID: try optionalInt("tokenizer.ggml.bos_token_id"),
            eosTokenID: try optionalInt("tokenizer.ggml.eos_token_id"),
            eotTokenID: try optionalInt("tokenizer.ggml.eot_token_id"),
            eomTokenID: try optionalInt("tokenizer.ggml.eom_token_id"),
            unknownTokenID: try optionalInt("tokenizer.ggml.unknown_token_id"),
            paddingTokenID: try optionalInt("tokenizer.ggml.padding_token_id"),
            addBOS: try optionalBool("tokenizer.ggml.add_bos_token"),
            addEOS: try optionalBool("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: try optionalBool("tokenizer.ggml.add_space_prefix"))
    }
}
