/// One token of a piece and the scalars of the piece it covers (half-open, in piece scalars).
struct TokenSpan: Sendable, Equatable {
    var id: Int
    var start: Int
    var end: Int
    /// The token string an encoding reports when it is not the vocabulary's: HF's Unigram
    /// reports the text an unknown token stands for.
    var value: String? = nil
}

/// Models that can say which part of a piece each token covers, for encodings with offsets.
/// Models without it get the whole piece as the span of each of their tokens.
protocol SpanTokenizingModel {
    func tokenizeWithSpans(_ piece: String, into spans: inout [TokenSpan])
}

extension TokenizerModel {
    func spans(of piece: String, into spans: inout [TokenSpan]) {
        if let model = self as? any SpanTokenizingModel {
            model.tokenizeWithSpans(piece, into: &spans)
            return
        }
        var ids: [Int] = []
        tokenize(piece, into: &ids)
        let count = piece.unicodeScalars.count
        for id in ids { spans.append(TokenSpan(id: id, start: 0, end: count)) }
    }
}
