/// BERT's WordPiece (HF `WordPiece`): each word is cut greedily into the longest vocabulary
/// entries from the left, continuations spelled with `continuingSubwordPrefix` ("##"). A word
/// that cannot be cut completely, or is longer than `maxInputCharsPerWord`, is one unknown token.
public final class WordPieceModel: TokenizerModel, SpanTokenizingModel {
    let vocab: [String: Int]
    /// Continuation pieces keyed without their prefix ("##ing" under "ing"), so probes need no
    /// string concatenation.
    private let continuations: [String: Int]
    private let tokens: [String?]
    public let unknownToken: String
    private let unknownID: Int
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    private let cache = WordCache()

    public init(vocab: [String: Int], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100) throws(TokenizerError)
    {
        guard let unknownID = vocab[unknownToken] else {
            throw .invalidField("model.unk_token", reason: "'\(unknownToken)' is not in the vocabulary")
        }
        guard let maxID = vocab.values.max(), maxID < Int(Int32.max), vocab.values.allSatisfy({ $0 >= 0 }) else {
            throw .invalidField("model.vocab", reason: "token ids must be in 0..<2^31")
        }
        self.vocab = vocab
        self.unknownToken = unknownToken
        self.unknownID = unknownID
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        var continuations: [String: Int] = [:]
        var tokens = [String?](repeating: nil, count: maxID + 1)
        for (token, id) in vocab {
            tokens[id] = token
            // Scalars, not Characters: in "##ि" the second "#" and the vowel sign form one
            // grapheme cluster.
            if !continuingSubwordPrefix.isEmpty, token.hasScalarPrefix(continuingSubwordPrefix) {
                continuations[String(token.unicodeScalars.dropFirst(continuingSubwordPrefix.unicodeScalars.count))] = id
            }
        }
        self.continuations = continuations
        self.tokens = tokens
    }

    public var vocabularySize: Int { vocab.count }

    public func id(for token: String) -> Int? { vocab[token] }

    public func token(for id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }

    public func tokenize(_ piece: String, into ids: inout [Int]) {
        guard !piece.isEmpty else { return }
        // Whole-word hit: the common case for ordinary text.
        if let id = vocab[piece] {
            ids.append(id)
            return
        }
        cache.append(piece, into: &ids) {
            var spans: [TokenSpan] = []
            tokenizeWithSpans(piece, into: &spans)
            return spans.map { Int32($0.id) }
        }
    }

    func tokenizeWithSpans(_ piece: String, into spans: inout [TokenSpan]) {
        let scalars = Array(piece.unicodeScalars)
        guard !scalars.isEmpty else { return }
        guard scalars.count <= maxInputCharsPerWord else {
            spans.append(TokenSpan(id: unknownID, start: 0, end: scalars.count))
            return
        }
        let firstSpan = spans.count
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int?
            while start < end {
                let candidate = String(scalars: scalars[start..<end])
                if let id = start == 0 || continuingSubwordPrefix.isEmpty ? vocab[candidate] : continuations[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                // HF replaces the whole word, not just the part that failed.
                spans.removeSubrange(firstSpan...)
                spans.append(TokenSpan(id: unknownID, start: 0, end: scalars.count))
                return
            }
            spans.append(TokenSpan(id: id, start: start, end: end))
            start = end
        }
    }
}
