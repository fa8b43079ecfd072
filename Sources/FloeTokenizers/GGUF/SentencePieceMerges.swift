/// BPE merge rules for a SentencePiece vocabulary that has scores instead of merges (GGUF
/// `llama` tokenizers). SentencePiece BPE merges the adjacent pair whose concatenation is the
/// highest-scoring piece, so every piece that splits into two pieces yields the rule
/// (left, right) -> piece ranked by the piece's score. Equal scores share a rank and then the
/// leftmost pair goes first, as in llama.cpp. (The trap: ordering merges by id instead of by
/// score breaks leading-space handling.)
enum SentencePieceMerges {
    static func rules(tokens: [String], scores: [Float], isMergeable: (Int) -> Bool) -> [UInt64: BPEMerger.Rule] {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where isMergeable(id) && ids[token] == nil {
            ids[token] = id
        }
        // Dense rank: highest score first.
        let distinctScores = Set(scores).sorted(by: >)
        let rankOfScore = Dictionary(uniqueKeysWithValues: distinctScores.enumerated().map { ($1, UInt32($0)) })
        var rules: [UInt64: BPEMerger.Rule] = [:]
        for (id, token) in tokens.enumerated() where isMergeable(id) {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count >= 2, id < scores.count, let rank = rankOfScore[scores[id]] else { continue }
            for split in 1..<scalars.count {
                guard let left = ids[String(scalars: scalars[..<split])],
                    let right = ids[String(scalars: scalars[split...])]
                else { continue }
                let key = BPEMerger.key(Int32(left), Int32(right))
                if let existing = rules[key], existing.rank <= rank { continue }
                rules[key] = BPEMerger.Rule(rank: rank, newID: Int32(id))
            }
        }
        return rules
    }
}
