import Foundation
import Testing

@testable import FloeTokenizers

/// Input that is not ordinary text: invalid UTF-8 bytes, very long input.
@Suite("Bad input")
struct BadInputTests {
    /// Decision: HF only accepts valid strings, so bytes are either rejected with the offset of
    /// the first bad sequence (default) or decoded lossily (U+FFFD per maximal invalid
    /// subsequence, as Python's errors="replace") and then encoded like that string.
    @Test func invalidUTF8IsRejectedOrReplaced() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let bytes: [UInt8] = Array("Hello ".utf8) + [0xFF, 0xC3] + Array(" world".utf8)
        #expect(throws: TokenizerError.invalidInput("invalid UTF-8 at byte offset 6")) {
            try tokenizer.encode(utf8: bytes)
        }
        let lossy = try tokenizer.encode(utf8: bytes, lossy: true)
        #expect(lossy == tokenizer.encode("Hello \u{FFFD}\u{FFFD} world"))
        #expect(try tokenizer.encode(utf8: Array("Führer".utf8)) == tokenizer.encode("Führer"))
        #expect(try tokenizer.encode(utf8: [UInt8]()) == [])
    }

    @Test(arguments: ["\u{0}", "\u{FFFD}", "\u{1}\u{7F}", "a\u{0}b", "\u{200B}\u{FEFF}", "\u{E000}"])
    func controlAndOddCharactersDoNotCrash(text: String) throws {
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            let encoding = tokenizer.encoding(text, applyTruncationAndPadding: false)
            #expect(encoding.ids == tokenizer.encode(text), "\(name)")
            for offset in encoding.offsets { #expect(offset.upperBound <= text.unicodeScalars.count) }
        }
    }
}
