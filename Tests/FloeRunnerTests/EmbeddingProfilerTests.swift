@testable import FloeRunner
import Testing

/// The embedding engine's phase profile: laps land in their phases, batches and tokens add up,
/// and a disabled profiler records nothing.
@Suite struct EmbeddingProfilerTests {
    @Test func batchesAndPhasesAddUp() {
        let profiler = EmbeddingProfiler(enabled: true)
        var stopwatch = EmbeddingProfiler.Stopwatch()
        for phase in EmbeddingProfiler.Phase.allCases { stopwatch.lap(phase) }
        profiler.record(&stopwatch, sequences: 3, tokens: 12)
        stopwatch.lap(.enqueueing)
        profiler.record(&stopwatch, sequences: 1, tokens: 4)
        let report = profiler.report(instances: 2)
        for phase in EmbeddingProfiler.Phase.allCases { #expect(report.contains("  " + phase.label + " "), "\(phase.label)") }
        #expect(report.contains("2 batches on 2 instances: 2.0 sequences and 8 tokens per batch"))
    }

    @Test func aDisabledProfilerRecordsNothing() {
        let profiler = EmbeddingProfiler(enabled: false)
        var stopwatch = EmbeddingProfiler.Stopwatch()
        stopwatch.lap(.packing)
        profiler.record(&stopwatch, sequences: 5, tokens: 50)
        #expect(profiler.report(instances: 1).contains("0 batches on 1 instance: 0.0 sequences and 0 tokens per batch"))
    }
}
