import Foundation

/// Results of the GPU checks, written as JSON by `floe cuda-check`.
public struct CheckReport: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var group: String
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var device: String
    public var entries: [Entry] = []

    public init(device: String) { self.device = device }

    public var failures: [Entry] { entries.filter { !$0.passed } }

    mutating func record(_ group: String, _ name: String, passed: Bool, _ detail: String) {
        entries.append(Entry(group: group, name: name, passed: passed, detail: detail))
        print("\(passed ? "PASS" : "FAIL") [\(group)] \(name): \(detail)")
    }
}

/// How far `actual` is from `expected`, and whether any element was left unwritten (NaN poison).
struct Difference {
    var maxAbsolute: Float = 0
    var relativeNorm: Float = 0
    var nonFinite = 0

    init(_ actual: [Float], _ expected: [Float]) {
        precondition(actual.count == expected.count, "\(actual.count) values vs \(expected.count)")
        var errorSquares: Double = 0, referenceSquares: Double = 0
        for (a, e) in zip(actual, expected) {
            guard a.isFinite else { nonFinite += 1; continue }
            maxAbsolute = max(maxAbsolute, abs(a - e))
            errorSquares += Double((a - e) * (a - e))
            referenceSquares += Double(e * e)
        }
        relativeNorm = Float((errorSquares / max(referenceSquares, 1e-30)).squareRoot())
    }

    func within(relative: Float) -> Bool { nonFinite == 0 && relativeNorm <= relative }

    var summary: String {
        String(format: "rel-norm %.2e, max-abs %.2e%@", relativeNorm, maxAbsolute, nonFinite > 0 ? ", \(nonFinite) unwritten/non-finite" : "")
    }
}
