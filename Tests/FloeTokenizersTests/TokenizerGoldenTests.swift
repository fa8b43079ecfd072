import Foundation
import Testing

@testable import FloeTokenizers

/// Ids, tokens, character offsets and masks against HF `tokenizers` (goldens written by
/// scripts/make_tokenizer_goldens.py), for every fixture tokenizer, with and without special
/// tokens, and with the file's truncation and padding where it has them.
@Suite("HF encodings: tokens, offsets, truncation, padding")
struct TokenizerGoldenTests {
    struct GoldenFile: Decodable {
        struct Case: Decodable {
            let text: String
            let add_special_tokens: Bool
            let ids: [Int]
            let tokens: [String]
            let offsets: [[Int]]
            let attention_mask: [Int]
            let special_tokens_mask: [Int]
        }
        let cases: [Case]
        let truncated_and_padded: [Case]
    }

    static func golden(_ name: String) throws -> GoldenFile {
        let url = TokenizerFixtures.root.appendingPathComponent("tokenizers/goldens/\(name).json")
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    @Test(arguments: TokenizerFixtures.names)
    func encodingMatchesHuggingFace(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try Self.golden(name)
        #expect(!golden.cases.isEmpty)
        for testCase in golden.cases {
            let label = "\(name) special=\(testCase.add_special_tokens): \(testCase.text.debugDescription)"
            let encoding = tokenizer.encoding(
                testCase.text, addSpecialTokens: testCase.add_special_tokens, applyTruncationAndPadding: false)
            #expect(encoding.ids == testCase.ids, "ids \(label)")
            #expect(encoding.tokens == testCase.tokens, "tokens \(label)")
            #expect(encoding.offsets.map { [$0.lowerBound, $0.upperBound] } == testCase.offsets, "offsets \(label)")
            #expect(encoding.attentionMask == testCase.attention_mask, "attention \(label)")
            #expect(encoding.specialTokensMask == testCase.special_tokens_mask, "special mask \(label)")
            // The fast ids-only path agrees with the full one.
            #expect(tokenizer.encode(testCase.text, addSpecialTokens: testCase.add_special_tokens) == testCase.ids, "encode \(label)")
        }
    }

    @Test(arguments: ["bert-uncased-wordpiece", "wordpiece-misc"])
    func truncationAndPaddingFromFile(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        #expect(tokenizer.truncation != nil && tokenizer.padding != nil)
        for testCase in try Self.golden(name).truncated_and_padded {
            let encoding = tokenizer.encoding(testCase.text, addSpecialTokens: testCase.add_special_tokens)
            let label = "\(name): \(testCase.text.debugDescription)"
            #expect(encoding.ids == testCase.ids, "ids \(label)")
            #expect(encoding.tokens == testCase.tokens, "tokens \(label)")
            #expect(encoding.offsets.map { [$0.lowerBound, $0.upperBound] } == testCase.offsets, "offsets \(label)")
            #expect(encoding.attentionMask == testCase.attention_mask, "attention \(label)")
            #expect(encoding.specialTokensMask == testCase.special_tokens_mask, "special mask \(label)")
        }
    }

    /// all-MiniLM-L6-v2's reference.json: the input ids sentence-transformers fed the model.
    @Test func miniLMReferenceInputIDs() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("bert-uncased-wordpiece")
        let url = TokenizerFixtures.root.appendingPathComponent("all-MiniLM-L6-v2/reference.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count == 7)
        for testCase in cases {
            let text = try #require(testCase["text"] as? String)
            let ids = try #require(testCase["input_ids"] as? [Int])
            #expect(tokenizer.encode(text) == ids, "\(text)")
            #expect(tokenizer.encoding(text, applyTruncationAndPadding: false).tokens == testCase["tokens"] as? [String])
        }
    }
}
