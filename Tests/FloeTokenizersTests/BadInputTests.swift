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

    /// Encode time must grow linearly: doubling the input may not triple the time. Sizes stay
    /// small so the test is quick; the 10 MB run is in `floe bench-tokenizer`.
    @Test(arguments: ["llama3", "bert-uncased-wordpiece", "llama2-spm"])
    func encodeTimeIsLinear(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let unit = "The quick brown fox, naïve café 123 🦙 — jumps!\n    def f(x): return x * 2  "
        // Include a single long "word" so per-piece algorithms are exercised too.
        func text(_ repeats: Int) -> String { String(repeating: unit, count: repeats) + String(repeating: "a", count: repeats * 8) }
        _ = tokenizer.encode(text(50))
        func seconds(_ repeats: Int) -> Double {
            let input = text(repeats)
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = tokenizer.encode(input)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return best
        }
        let small = seconds(400)
        let large = seconds(800)
        #expect(large < 3 * small + 0.002, "\(name): \(small)s for 1x, \(large)s for 2x")
    }
}
