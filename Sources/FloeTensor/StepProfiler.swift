import Foundation
import Synchronization

/// Host time spent in each phase of model steps, for finding where a step's time goes on a
/// device whose kernels run asynchronously (the GPU): with `FLOE_PROFILE_STEPS=1` the model
/// runner times its whole step, the host time between its steps (the engine's scheduling and
/// output handling, during which the device idles), building the step's batch, the model's
/// forward (enqueueing kernels; for a recorded decode step, staging its inputs and replaying the
/// graph) and waiting for the device's result, the CUDA backend its kernel launches and
/// cuBLASLt calls; the totals go to
/// standard error when the process exits. Off, each measurement costs one branch.
public final class StepProfiler: Sendable {
    public static let shared = StepProfiler(enabled: ProcessInfo.processInfo.environment["FLOE_PROFILE_STEPS"] == "1")

    public let enabled: Bool
    private let totals = Mutex<[String: (calls: Int, seconds: Double)]>([:])

    init(enabled: Bool) {
        self.enabled = enabled
        if enabled { atexit { StepProfiler.shared.printReport() } }
    }

    /// Runs `body`, adding its wall time to `phase`.
    @inline(__always)
    public func measure<T, E: Error>(_ phase: StaticString, _ body: () throws(E) -> T) throws(E) -> T {
        guard enabled else { return try body() }
        let start = ContinuousClock.now
        defer { add(phase, since: start) }
        return try body()
    }

    /// Adds the time from `start` to now, measured elsewhere, to `phase`.
    public func add(_ phase: StaticString, since start: ContinuousClock.Instant) {
        guard enabled else { return }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        totals.withLock { $0["\(phase)", default: (0, 0)].calls += 1; $0["\(phase)", default: (0, 0)].seconds += seconds }
    }

    /// The totals so far, one line per phase, largest first.
    public func report() -> String {
        totals.withLock { totals in
            totals.sorted { $0.value.seconds > $1.value.seconds }.map { phase, value in
                String(format: "%-18@ %8d calls %10.3f ms total %9.1f us mean", phase as NSString, value.calls,
                       value.seconds * 1e3, value.seconds / Double(max(value.calls, 1)) * 1e6)
            }.joined(separator: "\n")
        }
    }

    /// Prints the report to standard error when profiling is on.
    public func printReport() {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("step profile (FLOE_PROFILE_STEPS=1):\n" + report() + "\n").utf8))
    }
}
