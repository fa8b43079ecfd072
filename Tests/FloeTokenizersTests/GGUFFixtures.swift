import Foundation
import Testing

@testable import FloeTokenizers

/// Builds `GGUFVocabulary` values with what llama.cpp's converter would store, from the fixture
/// files: byte-level vocabularies from tokenizer.json (tokens by id, merges as "a b" lines,
/// added tokens as control / user-defined), SentencePiece ones from llama2.c `tokenizer.bin`
/// (the real SentencePiece scores).
enum GGUFFixtures {
    static func byteLevel(_ name: String, pre: String) throws -> GGUFVocabulary {
        let path = try #require(TokenizerFixtures.tokenizerPaths[name])
        let data = try Data(contentsOf: TokenizerFixtures.root.appendingPathComponent(path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try #require(root["model"] as? [String: Any])
        let vocab = try #require(model["vocab"] as? [String: Int])
        let added = try #require(root["added_tokens"] as? [[String: Any]])
        let count = max(vocab.values.max()!, added.compactMap { $0["id"] as? Int }.max() ?? 0) + 1
        var tokens = (0..<count).map { "[PAD\($0)]" }
        var types = [Int32](repeating: 1, count: count)
        for (token, id) in vocab { tokens[id] = token }
        for entry in added {
            let id = try #require(entry["id"] as? Int)
            tokens[id] = try #require(entry["content"] as? String)
            types[id] = (entry["special"] as? Bool ?? false) ? 3 : 4
        }
        let rawMerges = try #require(model["merges"] as? [Any])
        let merges = rawMerges.map { entry in
            (entry as? [String]).map { $0.joined(separator: " ") } ?? (entry as? String ?? "")
        }
        return GGUFVocabulary(model: "gpt2", pre: pre, tokens: tokens, tokenTypes: types, merges: merges)
    }

    /// llama2.c's tokenizer.bin: int32 max length, then per token float32 score, int32 length,
    /// bytes. llama2.c stores "▁" as " " and BOS/EOS as "\n<s>\n"; both are undone here.
    static func sentencePiece(_ relativePath: String) throws -> GGUFVocabulary {
        let data = try Data(contentsOf: TokenizerFixtures.root.appendingPathComponent(relativePath))
        var offset = 4
        func int32() -> Int32 {
            defer { offset += 4 }
            return data.subdata(in: offset..<(offset + 4)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        }
        var tokens: [String] = []
        var scores: [Float] = []
        var types: [Int32] = []
        while offset < data.count {
            let score = Float(bitPattern: UInt32(bitPattern: int32()))
            let length = Int(int32())
            var token = String(decoding: data.subdata(in: offset..<(offset + length)), as: UTF8.self)
            offset += length
            token = token.replacingOccurrences(of: " ", with: "▁")
            let id = tokens.count
            var type: Int32 = 1
            switch id {
            case 0: type = 2
            case 1: token = "<s>"; type = 3
            case 2: token = "</s>"; type = 3
            default: if BPEModel.byteTokenName(UInt8(truncatingIfNeeded: id - 3)) == token { type = 6 }
            }
            tokens.append(token)
            scores.append(score)
            types.append(type)
        }
        return GGUFVocabulary(
            model: "llama", pre: "default", tokens: tokens, scores: scores, tokenTypes: types, bosTokenID: 1,
            eosTokenID: 2, unknownTokenID: 0, addBOS: true, addEOS: false)
    }
}
