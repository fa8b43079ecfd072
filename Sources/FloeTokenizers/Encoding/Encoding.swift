/// The full result of encoding one text, as HF's `Encoding`: ids with their token strings,
/// character offsets into the original text, and the masks a model batch needs. Built by
/// `Tokenizer.encoding(_:addSpecialTokens:)`; `Tokenizer.encode` returns only the ids.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var tokens: [String]
    /// Half-open ranges of Unicode scalars (Python `str` indices) in the original text. Tokens
    /// the post-processor adds, and padding, have the empty range 0..<0.
    public var offsets: [Range<Int>]
    /// 0 for the first sequence (and its special tokens); what `TemplateProcessing` says otherwise.
    public var typeIDs: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// 1 for tokens added by the post-processor or padding, 0 for tokens from the text.
    public var specialTokensMask: [Int]
    /// What truncation cut off, in windows of the truncated length (HF `overflowing`).
    public var overflowing: [Encoding]

    public init(
        ids: [Int] = [], tokens: [String] = [], offsets: [Range<Int>] = [], typeIDs: [Int]? = nil,
        attentionMask: [Int]? = nil, specialTokensMask: [Int]? = nil, overflowing: [Encoding] = []
    ) {
        self.ids = ids
        self.tokens = tokens
        self.offsets = offsets
        self.typeIDs = typeIDs ?? [Int](repeating: 0, count: ids.count)
        self.attentionMask = attentionMask ?? [Int](repeating: 1, count: ids.count)
        self.specialTokensMask = specialTokensMask ?? [Int](repeating: 0, count: ids.count)
        self.overflowing = overflowing
    }

    public var count: Int { ids.count }

    mutating func append(id: Int, token: String, offset: Range<Int>, typeID: Int = 0, special: Bool = false) {
        ids.append(id)
        tokens.append(token)
        offsets.append(offset)
        typeIDs.append(typeID)
        attentionMask.append(1)
        specialTokensMask.append(special ? 1 : 0)
    }

    mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        tokens += other.tokens
        offsets += other.offsets
        typeIDs += other.typeIDs
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
    }

    /// Tokens `range` of this encoding.
    func slice(_ range: Range<Int>) -> Encoding {
        Encoding(
            ids: Array(ids[range]), tokens: Array(tokens[range]), offsets: Array(offsets[range]),
            typeIDs: Array(typeIDs[range]), attentionMask: Array(attentionMask[range]),
            specialTokensMask: Array(specialTokensMask[range]))
    }

    /// Keeps at most `maxLength` tokens, from the start (`.right`: the end is cut) or the end;
    /// the rest goes to `overflowing` in windows of `maxLength` that repeat `stride` tokens of
    /// the previous window (HF `Encoding::truncate`).
    public mutating func truncate(maxLength: Int, stride: Int = 0, direction: TruncationParameters.Direction = .right) {
        let maxLength = max(0, maxLength)
        guard count > maxLength else { return }
        guard maxLength > 0 else {
            overflowing = [self]
            self = Encoding(overflowing: overflowing)
            return
        }
        let step = max(1, maxLength - min(stride, maxLength - 1))
        var windows: [Range<Int>] = []
        switch direction {
        case .right:
            var start = 0
            while start < count {
                windows.append(start..<min(count, start + maxLength))
                if start + maxLength >= count { break }
                start += step
            }
        case .left:
            var end = count
            while end > 0 {
                windows.append(max(0, end - maxLength)..<end)
                if end - maxLength <= 0 { break }
                end -= step
            }
        }
        let parts = windows.map(slice)
        self = parts[0]
        overflowing = Array(parts.dropFirst())
    }

    /// Pads to `length` with `padID` (attention 0, special 1, offsets 0..<0), on the right or
    /// left. Longer encodings are left as they are.
    public mutating func pad(
        to length: Int, padID: Int, padToken: String, padTypeID: Int = 0, direction: PaddingParameters.Direction = .right
    ) {
        let missing = length - count
        guard missing > 0 else { return }
        let padding = Encoding(
            ids: .init(repeating: padID, count: missing), tokens: .init(repeating: padToken, count: missing),
            offsets: .init(repeating: 0..<0, count: missing), typeIDs: .init(repeating: padTypeID, count: missing),
            attentionMask: .init(repeating: 0, count: missing), specialTokensMask: .init(repeating: 1, count: missing))
        switch direction {
        case .right:
            append(contentsOf: padding)
        case .left:
            var padded = padding
            padded.append(contentsOf: self)
            padded.overflowing = overflowing
            self = padded
        }
    }
}
