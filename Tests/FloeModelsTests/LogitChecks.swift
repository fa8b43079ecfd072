import Testing

/// Comparisons of model outputs against a reference case, shared by every golden test.
enum LogitChecks {
    /// Per-position argmax, lowest id on ties (as torch.argmax).
    static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for index in row.indices where row[index] > row[best] { best = index }
        return best
    }

    /// Each of the reference's top-10 (id, logit) pairs agrees within `relative` tolerance.
    static func expectTop10(_ row: [Float], _ reference: ReferenceCase, relative: Double = 1e-3,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        for pair in reference.lastPositionTop10 {
            let id = Int(pair[0]), expected = pair[1], actual = Double(row[id])
            #expect(abs(actual - expected) <= relative * max(abs(expected), 1),
                    "token \(id): logit \(actual) vs reference \(expected)", sourceLocation: sourceLocation)
        }
    }
}
