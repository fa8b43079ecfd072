import Foundation
import Testing

@testable import FloeTokenizers

/// Ids for 61 strings per tokenizer, computed by HF `tokenizers` (add_special_tokens=False).
/// bert-uncased-wordpiece.json was made with all-MiniLM-L6-v2's tokenizer.json (its
/// `tokenizer_json` field), which is copied into Tests/Fixtures/all-MiniLM-L6-v2/.
@Suite("HF tokenizer.json vectors")
struct TokenizerVectorTests {
    @Test(arguments: TokenizerFixtures.vectorNames)
    func encodeMatchesHuggingFace(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.vectors(name)
        #expect(cases.count == 61)
        var failures = 0
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: false)
            if ids != testCase.ids { failures += 1 }
            #expect(ids == testCase.ids, "\(name): \(testCase.text.debugDescription)")
        }
        #expect(failures == 0, "\(name): \(cases.count - failures)/\(cases.count) vectors match")
    }

    /// The same inputs from llama.cpp's vocab tests (no BOS).
    @Test(arguments: [
        ("gpt-2", "gpt2"), ("qwen2", "qwen2.5"), ("llama-bpe", "llama3"), ("llama-spm", "llama2-spm"),
        ("bert-bge", "bert-uncased-wordpiece"),
    ])
    func encodeMatchesLlamaCppVocabTests(vocab: String, name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.llamaCppCases(vocab)
        #expect(cases.count >= 40)
        for (text, expected) in cases {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected, "\(vocab): \(text.debugDescription)")
        }
    }
}
