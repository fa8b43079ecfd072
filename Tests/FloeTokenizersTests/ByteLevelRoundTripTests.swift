import Testing

@testable import FloeTokenizers

@Suite("Byte-level round trip")
struct ByteLevelRoundTripTests {
    /// Byte-level BPE is lossless: decode(encode(x)) == x for any text, special-token-free.
    @Test(arguments: TokenizerFixtures.byteLevelNames)
    func decodeInvertsEncodeOnRandomText(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        // SmolLM2's vocabulary lacks 21 byte symbols (some C0 controls, 0xC0/0xC1, 0xF1...);
        // HF drops such characters too, so only representable text can round-trip.
        let representable = (0..<256).map { byte in
            tokenizer.id(for: String(ByteLevelAlphabet.characters[byte])) != nil
        }
        var generator = SeededTestRandom(seed: 0x5EED)
        for _ in 0..<300 {
            let text = String(
                scalars: randomText(using: &generator).unicodeScalars.filter { scalar in
                    UTF8.encode(scalar)!.allSatisfy { representable[Int($0)] }
                })
            // Qwen normalizes to NFC, so compare with the NFC form there.
            let expected = tokenizer.normalizer?.normalize(text) ?? text
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            #expect(tokenizer.decode(ids).unicodeScalars.elementsEqual(expected.unicodeScalars), "\(text.debugDescription)")
        }
    }

    /// Mixed scripts, digits, whitespace runs, combining marks, emoji, controls, CJK.
    private func randomText(using generator: inout SeededTestRandom) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0xA0...0x17F, 0x300...0x36F, 0x370...0x3FF, 0x400...0x4FF,
            0x590...0x6FF, 0x900...0x97F, 0x3040...0x30FF, 0x4E00...0x4FFF, 0xAC00...0xAD00, 0x1F300...0x1F6FF,
            0x2000...0x206F, 0xFF00...0xFFEF, 0x0...0x1F,
        ]
        let length = Int(generator.next() % 40)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let range = ranges[Int(generator.next() % UInt64(ranges.count))]
            let value = range.lowerBound + UInt32(generator.next() % UInt64(range.count))
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
