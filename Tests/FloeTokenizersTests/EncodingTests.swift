import Testing

@testable import FloeTokenizers

@Suite("Encoding truncation and padding helpers")
struct EncodingTests {
    static func sample(_ count: Int) -> Encoding {
        Encoding(ids: Array(0..<count), tokens: (0..<count).map { "t\($0)" }, offsets: (0..<count).map { $0..<($0 + 1) })
    }

    @Test func truncateRightKeepsOverflowWithStride() {
        var encoding = Self.sample(10)
        encoding.truncate(maxLength: 4, stride: 1)
        #expect(encoding.ids == [0, 1, 2, 3])
        #expect(encoding.overflowing.map(\.ids) == [[3, 4, 5, 6], [6, 7, 8, 9]])
    }

    @Test func truncateLeftKeepsTheEnd() {
        var encoding = Self.sample(6)
        encoding.truncate(maxLength: 4, direction: .left)
        #expect(encoding.ids == [2, 3, 4, 5])
        #expect(encoding.overflowing.map(\.ids) == [[0, 1]])
    }

    @Test func padBothSides() {
        var right = Self.sample(2)
        right.pad(to: 4, padID: 9, padToken: "[PAD]")
        #expect(right.ids == [0, 1, 9, 9])
        #expect(right.attentionMask == [1, 1, 0, 0])
        #expect(right.specialTokensMask == [0, 0, 1, 1])
        #expect(right.offsets == [0..<1, 1..<2, 0..<0, 0..<0])
        var left = Self.sample(2)
        left.pad(PaddingParameters(strategy: .batchLongest, direction: .left, padToMultipleOf: 8, padID: 7))
        #expect(left.ids == [7, 7, 7, 7, 7, 7, 0, 1])
        #expect(left.tokens.first == "[PAD]")
    }

    /// MiniLM's file pads every encoding to 128 and truncates to 128 (with room for CLS/SEP).
    @Test func miniLMFileSettings() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("bert-uncased-wordpiece")
        #expect(tokenizer.truncation == TruncationParameters(maxLength: 128))
        #expect(tokenizer.padding == PaddingParameters(strategy: .fixed(128), padID: 0, padToken: "[PAD]"))
        let short = tokenizer.encoding("This is an example sentence")
        #expect(short.count == 128)
        #expect(short.ids.prefix(7) == [101, 2023, 2003, 2019, 2742, 6251, 102])
        #expect(short.attentionMask.reduce(0, +) == 7)
        let long = tokenizer.encoding(String(repeating: "word ", count: 300))
        #expect(long.count == 128 && long.ids.first == 101 && long.ids.last == 102)
        // 300 tokens in windows of 126 (128 less [CLS] and [SEP]).
        #expect(long.overflowing.count == 2)
    }
}
