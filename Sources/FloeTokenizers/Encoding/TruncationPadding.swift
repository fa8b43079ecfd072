/// `tokenizer.json`'s `truncation` block: applied by `Tokenizer.encoding` before special
/// tokens are added, leaving room for them (HF's order).
public struct TruncationParameters: Sendable, Equatable {
    public enum Direction: String, Sendable { case left = "Left", right = "Right" }
    /// HF strategies; for one sequence they all cut that sequence.
    public enum Strategy: String, Sendable {
        case longestFirst = "LongestFirst", onlyFirst = "OnlyFirst", onlySecond = "OnlySecond"
    }

    public var maxLength: Int
    public var stride: Int
    public var strategy: Strategy
    public var direction: Direction

    public init(maxLength: Int, stride: Int = 0, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength
        self.stride = stride
        self.strategy = strategy
        self.direction = direction
    }
}

/// `tokenizer.json`'s `padding` block.
public struct PaddingParameters: Sendable, Equatable {
    public enum Direction: String, Sendable { case left = "Left", right = "Right" }
    public enum Strategy: Sendable, Equatable {
        /// Pad to the longest encoding of a batch; a single encoding is its own longest.
        case batchLongest
        case fixed(Int)
    }

    public var strategy: Strategy
    public var direction: Direction
    public var padToMultipleOf: Int?
    public var padID: Int
    public var padTypeID: Int
    public var padToken: String

    public init(
        strategy: Strategy = .batchLongest, direction: Direction = .right, padToMultipleOf: Int? = nil, padID: Int = 0,
        padTypeID: Int = 0, padToken: String = "[PAD]"
    ) {
        self.strategy = strategy
        self.direction = direction
        self.padToMultipleOf = padToMultipleOf
        self.padID = padID
        self.padTypeID = padTypeID
        self.padToken = padToken
    }

    /// The length an encoding of `count` tokens is padded to.
    public func targetLength(for count: Int) -> Int {
        var length: Int
        switch strategy {
        case .batchLongest: length = count
        case .fixed(let fixed): length = fixed
        }
        if let multiple = padToMultipleOf, multiple > 0, length % multiple != 0 {
            length += multiple - length % multiple
        }
        return length
    }
}

extension Encoding {
    public mutating func pad(_ parameters: PaddingParameters) {
        pad(
            to: parameters.targetLength(for: count), padID: parameters.padID, padToken: parameters.padToken,
            padTypeID: parameters.padTypeID, direction: parameters.direction)
    }
}
