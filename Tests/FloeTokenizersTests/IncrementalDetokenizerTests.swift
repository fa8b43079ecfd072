import Testing

@testable import FloeTokenizers

@Suite("Incremental detokenizer")
struct IncrementalDetokenizerTests {
    /// Streaming every vector one id at a time gives exactly `decode` of all ids.
    @Test(arguments: TokenizerFixtures.vectorNames, [false, true])
    func streamedTextEqualsFullDecode(name: String, skipSpecialTokens: Bool) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        var texts = try TokenizerFixtures.vectors(name).map(\.text)
        // Special tokens in the stream, for both settings of skipSpecialTokens.
        texts.append("<|im_start|>assistant\nSure! 🦙<|im_end|>\n<s> Hi </s>")
        for text in texts {
            let ids = (tokenizer.bosTokenID.map { [$0] } ?? []) + tokenizer.encode(text, addSpecialTokens: false)
            var stream = IncrementalDetokenizer(tokenizer: tokenizer, skipSpecialTokens: skipSpecialTokens)
            var streamed = ""
            for id in ids {
                let piece = stream.append(id)
                #expect(!piece.unicodeScalars.contains("\u{FFFD}") || text.unicodeScalars.contains("\u{FFFD}"))
                streamed += piece
            }
            streamed += stream.finish()
            #expect(streamed == tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens), "\(name): \(text.debugDescription)")
        }
    }

    @Test func holdsBackSplitCharacters() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        // "🦙" is four bytes, encoded by GPT-2 as several byte tokens.
        let ids = tokenizer.encode("🦙", addSpecialTokens: false)
        #expect(ids.count > 1)
        var stream = IncrementalDetokenizer(tokenizer: tokenizer)
        let pieces = ids.map { stream.append($0) }
        #expect(pieces.dropLast().allSatisfy { $0.isEmpty })
        #expect(pieces.last == "🦙")
    }

    @Test func finishFlushesAnIncompleteCharacter() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let ids = tokenizer.encode("🦙", addSpecialTokens: false)
        var stream = IncrementalDetokenizer(tokenizer: tokenizer)
        let emitted = stream.append(ids[0])
        #expect(emitted.isEmpty)
        #expect(stream.finish() == tokenizer.decode([ids[0]]))
    }
}
