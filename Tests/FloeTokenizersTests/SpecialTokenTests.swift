import Foundation
import Testing

@testable import FloeTokenizers

@Suite("Special and added tokens")
struct SpecialTokenTests {
    @Test func chatMarkersAreSplitOutBeforeTheModel() throws {
        let qwen = try TokenizerFixtures.tokenizer("qwen2.5")
        let ids = qwen.encode("<|im_start|>user\nHi<|im_end|>", addSpecialTokens: false)
        #expect(ids.first == 151644)
        #expect(ids.last == 151645)
        #expect(qwen.decode(ids) == "<|im_start|>user\nHi<|im_end|>")
        #expect(qwen.decode(ids, skipSpecialTokens: true) == "user\nHi")
        // <tool_call> is an added token but not special: kept when skipping specials.
        let tool = qwen.encode("<tool_call>", addSpecialTokens: false)
        #expect(tool == [151657])
        #expect(qwen.decode(tool, skipSpecialTokens: true) == "<tool_call>")
        #expect(qwen.eosTokenIDs.contains(151645))
        #expect(qwen.vocabularySize == 151936)  // this tokenizer.json already pads the vocab
    }

    @Test func postProcessorAddsBOSOnlyWhenAsked() throws {
        let llama3 = try TokenizerFixtures.tokenizer("llama3")
        #expect(llama3.bosTokenID == 128000)
        #expect(llama3.encode("Hello") == [128000, 9906])
        #expect(llama3.encode("Hello", addSpecialTokens: false) == [9906])
        let llama2 = try TokenizerFixtures.tokenizer("llama2-spm")
        #expect(llama2.encode("Hello").first == 1)
        #expect(llama2.eosTokenIDs == [2])
        let smol = try TokenizerFixtures.tokenizer("smollm2")
        #expect(smol.encode("Hello") == smol.encode("Hello", addSpecialTokens: false))
    }

    @Test func sentencePieceDecodeStripsOnlyTheLeadingSpace() throws {
        let llama2 = try TokenizerFixtures.tokenizer("llama2-spm")
        let ids = llama2.encode("  Hello\n world")
        #expect(llama2.decode(ids, skipSpecialTokens: true) == "  Hello\n world")
        #expect(llama2.token(for: 13) == "<0x0A>")
        #expect(llama2.id(for: "<s>") == 1)
    }

    @Test func tokenizerConfigNamesBOSAndEOS() throws {
        let base = TokenizerFixtures.root.appendingPathComponent("SmolLM2-135M-Instruct/hf-config")
        let smol = try Tokenizer(
            tokenizerJSON: base.appendingPathComponent("tokenizer.json"),
            tokenizerConfig: base.appendingPathComponent("tokenizer_config.json"))
        #expect(smol.bosTokenID == 1)
        #expect(smol.eosTokenIDs == [2])
    }

    /// lstrip / rstrip / single_word / normalized, on a tiny hand-made tokenizer.
    @Test func addedTokenOptions() throws {
        let json = #"""
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2, "<m>": 3, "w": 4, "x": 5}, "merges": []},
             "added_tokens": [
               {"id": 3, "content": "<m>", "lstrip": true, "rstrip": true, "special": true, "normalized": false},
               {"id": 4, "content": "w", "single_word": true, "special": false, "normalized": false},
               {"id": 5, "content": "x", "special": false, "normalized": true}],
             "normalizer": {"type": "Replace", "pattern": {"String": "X"}, "content": "x"}}
            """#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(json.utf8))
        #expect(tokenizer.encode("a  <m>  b") == [0, 3, 1])
        #expect(tokenizer.encode("w a") == [4, 2, 0])
        // "aw" is inside a word: w is not matched as an added token, and the model maps it to 4
        // anyway; the point is that nothing crashes and the split is HF's.
        #expect(tokenizer.encode("aw") == [0, 4])
        #expect(tokenizer.encode("aXb") == [0, 5, 1])
        #expect(tokenizer.decode([0, 3, 1]) == "a <m> b")
        #expect(tokenizer.decode([0, 3, 1], skipSpecialTokens: true) == "a b")
    }
}
