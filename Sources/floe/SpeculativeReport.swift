import FloeEngine
import Foundation

/// One line of speculative-decoding counters for benchmark output.
struct SpeculativeReport: CustomStringConvertible {
    let stats: SpeculativeStats

    init(_ stats: SpeculativeStats) { self.stats = stats }

    var description: String {
        let positions = stats.acceptanceRatePerPosition.prefix(8).map { String(format: "%.2f", $0) }.joined(separator: " ")
        return String(
            format: "speculative: %d drafts, %d drafted tokens, %d accepted (rate %.3f), mean acceptance length %.2f; per position: %@",
            stats.draftCount, stats.draftedTokens, stats.acceptedTokens, stats.acceptanceRate, stats.meanAcceptanceLength, positions)
    }
}
