import Foundation
import Testing

@testable import FloeTokenizers

/// Tokenizers built from GGUF-style metadata must give the same ids as the model's
/// tokenizer.json; the GGUF reader itself is tested in FloeWeights.
@Suite("GGUF vocabulary tokenizers")
struct GGUFVocabularyTests {
    static let byteLevelCases = [("smollm2", "smollm"), ("qwen2.5", "qwen2"), ("llama3", "llama-bpe"), ("gpt2", "gpt-2")]

    @Test(arguments: byteLevelCases)
    func byteLevelMatchesVectors(name: String, pre: String) throws {
        let tokenizer = try Tokenizer(gguf: GGUFFixtures.byteLevel(name, pre: pre))
        let reference = try TokenizerFixtures.tokenizer(name)
        for testCase in try TokenizerFixtures.vectors(name) {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: false)
            #expect(ids == testCase.ids, "\(name)/\(pre): \(testCase.text.debugDescription)")
            #expect(tokenizer.decode(ids) == reference.decode(ids))
        }
        let chat = "<|im_start|>user\nHi <|endoftext|> there<|im_end|>\n"
        #expect(tokenizer.encode(chat, addSpecialTokens: false) == reference.encode(chat, addSpecialTokens: false))
    }

    @Test(arguments: [("tokenizers/llama2/tokenizer.bin", "llama2-spm"), ("stories260K/tok512.bin", "stories260K-tok512")])
    func sentencePieceFromScoresMatchesVectors(path: String, name: String) throws {
        let tokenizer = try Tokenizer(gguf: GGUFFixtures.sentencePiece(path))
        let reference = try TokenizerFixtures.tokenizer(name)
        for testCase in try TokenizerFixtures.vectors(name) {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: false)
            #expect(ids == testCase.ids, "\(name): \(testCase.text.debugDescription)")
            #expect(tokenizer.decode(ids) == reference.decode(ids))
            #expect(tokenizer.encode(testCase.text) == reference.encode(testCase.text), "BOS like tokenizer.json")
        }
        #expect(tokenizer.bosTokenID == 1)
        #expect(tokenizer.eosTokenIDs == [2])
    }

    @Test func llamaCppSentencePieceVectors() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFixtures.sentencePiece("tokenizers/llama2/tokenizer.bin"))
        for (text, expected) in try TokenizerFixtures.llamaCppCases("llama-spm") {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected, "\(text.debugDescription)")
        }
    }

    @Test func rejectsInconsistentMetadata() {
        #expect(throws: TokenizerError.missingField("tokenizer.ggml.tokens")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", tokens: []))
        }
        #expect(throws: TokenizerError.missingField("tokenizer.ggml.merges")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", tokens: ["a"]))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(gguf: GGUFVocabulary(model: "llama", tokens: ["a", "b"], scores: [0]))
        }
        #expect(throws: TokenizerError.unsupported("tokenizer.ggml.pre=mystery")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", pre: "mystery", tokens: ["a"], merges: []))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", tokens: ["a"], merges: ["a b"]))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", tokens: ["a"], merges: [], bosTokenID: 7))
        }
        #expect(throws: TokenizerError.unsupported("tokenizer.ggml.model=t5")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "t5", tokens: ["a"]))
        }
        // A WordPiece vocabulary needs an unknown token.
        #expect(throws: TokenizerError.missingField("tokenizer.ggml.unknown_token_id")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "bert", tokens: ["a"]))
        }
    }
}
