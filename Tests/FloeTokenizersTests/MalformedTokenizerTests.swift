import Foundation
import Testing

@testable import FloeTokenizers

/// A bad tokenizer.json must be a typed error naming the problem, never a crash.
@Suite("Malformed tokenizer.json")
struct MalformedTokenizerTests {
    static let validModel = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}"#

    static let cases: [(String, TokenizerError)] = [
        ("not json at all", .invalidJSON("")),
        ("[1, 2, 3]", .invalidField("<root>", reason: "")),
        ("{}", .missingField("model")),
        (#"{"model": {"type": "BPE"}}"#, .missingField("model.vocab")),
        (#"{"model": {"type": "BPE", "vocab": {"a": "zero"}}}"#, .invalidField("model.vocab", reason: "")),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "z"]]}}"#, .invalidField("model.merges", reason: "")),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [42]}}"#, .invalidField("model.merges[0]", reason: "")),
        (#"{"model": {"type": "Unigram", "vocab": []}}"#, .invalidField("model.vocab", reason: "")),
        (#"{"model": {"type": "Unigram", "vocab": [["a", -1.0], ["b"]]}}"#, .invalidField("model.vocab[1]", reason: "")),
        (#"{"model": {"type": "Unigram", "vocab": [["a", -1.0]], "unk_id": 5}}"#, .invalidField("model.unk_id", reason: "")),
        (#"{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}"#, .invalidField("model.unk_token", reason: "")),
        (#"{"model": {"type": "WordLevel", "vocab": {"a": 0}}}"#, .unsupported("model.type=WordLevel")),
        (#"{"model": \#(validModel), "pre_tokenizer": {"type": "Metaspace", "prepend_scheme": "sometimes"}}"#, .invalidField("pre_tokenizer.prepend_scheme", reason: "")),
        (#"{"model": \#(validModel), "normalizer": {"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"Regex": "("}, "content": ""}]}}"#, .unsupported("")),
        (#"{"model": \#(validModel), "truncation": {"stride": 0}}"#, .missingField("truncation.max_length")),
        (#"{"model": \#(validModel), "padding": {"strategy": "Sometimes"}}"#, .invalidField("padding.strategy", reason: "")),
        (#"{"model": \#(validModel), "padding": {"direction": "Up"}}"#, .invalidField("padding.direction", reason: "")),
        (#"{"model": \#(validModel), "normalizer": {"type": "Mystery"}}"#, .unsupported("normalizer.type=Mystery")),
        (#"{"model": \#(validModel), "normalizer": {"no_type": 1}}"#, .missingField("normalizer.type")),
        (#"{"model": \#(validModel), "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "("}, "behavior": "Isolated"}}"#, .unsupported("")),
        (#"{"model": \#(validModel), "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}}"#, .invalidField("pre_tokenizer.behavior", reason: "")),
        (#"{"model": \#(validModel), "decoder": {"type": "Strip", "content": "ab", "start": 1}}"#, .invalidField("decoder.content", reason: "")),
        (#"{"model": \#(validModel), "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}}"#, .invalidField("post_processor.single[0]", reason: "")),
        (#"{"model": \#(validModel), "added_tokens": [{"content": "<x>"}]}"#, .missingField("added_tokens[0].id")),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "unk_token": "<unk>"}}"#, .invalidField("model.unk_token", reason: "")),
    ]

    @Test(arguments: cases)
    func malformedFileThrowsTypedError(json: String, expected: TokenizerError) {
        do {
            _ = try Tokenizer(tokenizerJSON: Data(json.utf8))
            Issue.record("expected \(expected) for \(json)")
        } catch {
            // Reasons are prose; the case and path are the contract.
            switch (error, expected) {
            case (.invalidJSON, .invalidJSON): break
            case (.missingField(let a), .missingField(let b)): #expect(a == b)
            case (.invalidField(let a, _), .invalidField(let b, _)): #expect(a == b)
            case (.unsupported(let a), .unsupported(let b)): #expect(b.isEmpty || a == b)
            default: Issue.record("got \(error), expected \(expected)")
            }
            #expect(!error.description.isEmpty)
        }
    }

    @Test func truncatedRealFileThrows() throws {
        let url = TokenizerFixtures.root.appendingPathComponent("stories260K/hf/tokenizer.json")
        let data = try Data(contentsOf: url)
        #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: data.prefix(data.count / 2)) }
    }

    @Test func missingFileThrows() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer(tokenizerJSON: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }
}
