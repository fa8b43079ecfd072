import Foundation
import Synchronization

/// Where an embedding engine's model threads spend their time, per batch: waiting for work,
/// packing a batch, enqueueing its forward pass, waiting for the device, reading the embeddings
/// back and handing them to their requests. On a GPU the split answers "host-bound or
/// device-bound?" (a device that finishes before the host has the next batch ready idles).
/// On with `FLOE_PROFILE_EMBED=1`; the engine prints the totals at `shutdown()`. Off, nothing
/// is recorded (a batch still reads the clock six times, nothing next to a forward pass).
final class EmbeddingProfiler: Sendable {
    enum Phase: Int, CaseIterable {
        case waitingForWork, packing, enqueueing, waitingForDevice, readingBack, distributing

        var label: String {
            switch self {
            case .waitingForWork: "waiting for work"
            case .packing: "packing"
            case .enqueueing: "forward enqueue"
            case .waitingForDevice: "waiting for device"
            case .readingBack: "read-back"
            case .distributing: "distribution"
            }
        }
    }

    /// One model thread's stopwatch: `lap` charges the time since the previous lap to a phase.
    struct Stopwatch {
        fileprivate var last = ContinuousClock.now
        fileprivate var seconds = [Double](repeating: 0, count: Phase.allCases.count)

        mutating func lap(_ phase: Phase) {
            let now = ContinuousClock.now
            let elapsed = now - last
            seconds[phase.rawValue] += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            last = now
        }
    }

    private struct Totals {
        var seconds = [Double](repeating: 0, count: Phase.allCases.count)
        var batches = 0, sequences = 0, tokens = 0
    }

    let enabled: Bool
    private let started = ContinuousClock.now
    private let totals = Mutex(Totals())

    init(enabled: Bool = ProcessInfo.processInfo.environment["FLOE_PROFILE_EMBED"] == "1") {
        self.enabled = enabled
    }

    /// Adds one finished batch and the stopwatch's laps since the last one, then resets it.
    func record(_ stopwatch: inout Stopwatch, sequences: Int, tokens: Int) {
        guard enabled else { return }
        let laps = stopwatch.seconds
        stopwatch.seconds = [Double](repeating: 0, count: Phase.allCases.count)
        totals.withLock { totals in
            for index in laps.indices { totals.seconds[index] += laps[index] }
            totals.batches += 1
            totals.sequences += sequences
            totals.tokens += tokens
        }
    }

    /// One line per phase (total, mean per batch, share of all model threads' time), then the
    /// batch sizes and the throughput over the engine's life.
    func report(instances: Int) -> String {
        let totals = totals.withLock { $0 }
        let life = ContinuousClock.now - started
        let wall = Double(life.components.seconds) + Double(life.components.attoseconds) * 1e-18
        let all = max(totals.seconds.reduce(0, +), 1e-12)
        let batches = max(totals.batches, 1)
        var lines = Phase.allCases.map { phase in
            let seconds = totals.seconds[phase.rawValue]
            return "  " + phase.label.padding(toLength: 19, withPad: " ", startingAt: 0)
                + String(format: " %10.3f ms total %10.1f us/batch %5.1f%%", seconds * 1e3, seconds / Double(batches) * 1e6, 100 * seconds / all)
        }
        lines.append(String(format: "  %d batches on %d instance%@: %.1f sequences and %.0f tokens per batch; %.0f tokens/s over %.3f s",
            totals.batches, instances, instances == 1 ? "" : "s", Double(totals.sequences) / Double(batches),
            Double(totals.tokens) / Double(batches), Double(totals.tokens) / max(wall, 1e-12), wall))
        return "embedding engine profile (FLOE_PROFILE_EMBED=1):\n" + lines.joined(separator: "\n") + "\n"
    }
}
