/// SentencePiece's unigram language model (HF `Unigram`): the segmentation of each piece that
/// maximises the sum of token log-probabilities, found by Viterbi over character positions.
/// Characters no token covers cost the lowest score minus 10 (HF's unknown penalty) and become
/// the unknown token (adjacent ones fused), or `<0xNN>` byte tokens with `byteFallback`.
public final class UnigramModel: TokenizerModel, SpanTokenizingModel {
    private let vocab: [String: Int]
    private let pieces: [String]
    private let scores: [Double]
    public let unknownID: Int?
    public let byteFallback: Bool
    public let fuseUnknown: Bool
    /// Longest vocabulary entry, in scalars: how far Viterbi looks ahead.
    private let maxPieceLength: Int
    private let unknownScore: Double
    private let cache = WordCache()

    /// - Parameter vocab: (piece, log-probability) in id order.
    public init(vocab: [(String, Double)], unknownID: Int?, byteFallback: Bool = false, fuseUnknown: Bool = true)
        throws(TokenizerError)
    {
        guard !vocab.isEmpty else { throw .invalidField("model.vocab", reason: "a Unigram vocabulary cannot be empty") }
        if let unknownID, !vocab.indices.contains(unknownID) {
            throw .invalidField("model.unk_id", reason: "\(unknownID) is outside the vocabulary")
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(vocab.count)
        for (id, entry) in vocab.enumerated() where ids[entry.0] == nil { ids[entry.0] = id }
        self.vocab = ids
        pieces = vocab.map(\.0)
        scores = vocab.map(\.1)
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        self.fuseUnknown = fuseUnknown
        maxPieceLength = vocab.map { $0.0.unicodeScalars.count }.max() ?? 1
        unknownScore = (scores.min() ?? 0) - 10
    }

    public var vocabularySize: Int { pieces.count }

    public func id(for token: String) -> Int? { vocab[token] }

    public func token(for id: Int) -> String? { pieces.indices.contains(id) ? pieces[id] : nil }

    public func tokenize(_ piece: String, into ids: inout [Int]) {
        guard !piece.isEmpty else { return }
        cache.append(piece, into: &ids) {
            var spans: [TokenSpan] = []
            tokenizeWithSpans(piece, into: &spans)
            return spans.map { Int32($0.id) }
        }
    }

    func tokenizeWithSpans(_ piece: String, into spans: inout [TokenSpan]) {
        let scalars = Array(piece.unicodeScalars)
        let n = scalars.count
        guard n > 0 else { return }
        // best[i]: best score of a segmentation of scalars[..<i], reached by token `id[i]`
        // starting at `from[i]`; from[i] == -1 while unreached.
        var best = [Double](repeating: -.infinity, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var tokenAt = [Int](repeating: -1, count: n + 1)
        best[0] = 0
        for start in 0..<n where from[start] >= 0 || start == 0 {
            var coversOne = false
            for end in (start + 1)...min(n, start + maxPieceLength) {
                guard let id = vocab[String(scalars: scalars[start..<end])] else { continue }
                let score = best[start] + scores[id]
                if from[end] < 0 || score > best[end] {
                    best[end] = score
                    from[end] = start
                    tokenAt[end] = id
                }
                if end == start + 1 { coversOne = true }
            }
            if !coversOne {
                let score = best[start] + unknownScore
                if from[start + 1] < 0 || score > best[start + 1] {
                    best[start + 1] = score
                    from[start + 1] = start
                    tokenAt[start + 1] = -1
                }
            }
        }
        // Walk back, fusing adjacent unknown characters.
        var segments: [(start: Int, end: Int, id: Int)] = []
        var end = n
        while end > 0 {
            let start = from[end]
            let id = tokenAt[end]
            if id < 0, fuseUnknown, let last = segments.last, last.id < 0, last.start == end {
                segments[segments.count - 1].start = start
            } else {
                segments.append((start, end, id))
            }
            end = start
        }
        for segment in segments.reversed() {
            if segment.id >= 0 {
                spans.append(TokenSpan(id: segment.id, start: segment.start, end: segment.end))
            } else {
                appendUnknown(scalars, segment.start, segment.end, into: &spans)
            }
        }
    }

    /// An uncovered run: its UTF-8 bytes as `<0xNN>` tokens when all exist, else the unknown
    /// token (dropped when there is none, as HF does).
    private func appendUnknown(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int, into spans: inout [TokenSpan]) {
        if byteFallback {
            var byteIDs: [Int] = []
            scan: for scalar in scalars[start..<end] {
                for byte in UTF8.encode(scalar)! {
                    guard let id = vocab[BPEModel.byteTokenName(byte)] else {
                        byteIDs.removeAll()
                        break scan
                    }
                    byteIDs.append(id)
                }
            }
            if !byteIDs.isEmpty {
                for id in byteIDs { spans.append(TokenSpan(id: id, start: start, end: end)) }
                return
            }
        }
        if let unknownID {
            spans.append(TokenSpan(id: unknownID, start: start, end: end, value: String(scalars: scalars[start..<end])))
        }
    }
}
