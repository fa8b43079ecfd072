import FloeEngine
import Foundation
import Synchronization

/// The server's own counters and latency histograms, written with the engine's stats in
/// Prometheus text format for `GET /metrics` (vLLM's metric names, `floe:` prefix).
final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets.
    static let bucketBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    struct Histogram: Sendable {
        var counts = [Int](repeating: 0, count: ServerMetrics.bucketBounds.count)
        var sum = 0.0
        var total = 0

        mutating func observe(_ seconds: Double) {
            for (i, bound) in ServerMetrics.bucketBounds.enumerated() where seconds <= bound { counts[i] += 1 }
            sum += seconds
            total += 1
        }
    }

    private struct State: Sendable {
        var promptTokens = 0
        var generationTokens = 0
        var finished: [String: Int] = [:]
        var rejected: [Int: Int] = [:]
        var timeToFirstToken = Histogram()
        var endToEnd = Histogram()
    }

    private let state = Mutex(State())

    func recordFinished(reason: String, promptTokens: Int, completionTokens: Int, seconds: Double) {
        state.withLock {
            $0.finished[reason, default: 0] += 1
            $0.promptTokens += promptTokens
            $0.generationTokens += completionTokens
            $0.endToEnd.observe(seconds)
        }
    }

    func recordFirstToken(after seconds: Double) { state.withLock { $0.timeToFirstToken.observe(seconds) } }

    func recordError(status: Int) { state.withLock { $0.rejected[status, default: 0] += 1 } }

    /// The exposition text.
    func render(engine stats: EngineStats, model: String) -> String {
        let s = state.withLock { $0 }
        let label = "model_name=\"\(model)\""
        var out = ""
        func gauge(_ name: String, _ help: String, _ value: Double, type: String = "gauge") {
            out += "# HELP floe:\(name) \(help)\n# TYPE floe:\(name) \(type)\nfloe:\(name){\(label)} \(value)\n"
        }
        gauge("num_requests_running", "Requests in the engine's running batch.", Double(stats.runningCount))
        gauge("num_requests_waiting", "Requests waiting for the engine.", Double(stats.waitingCount))
        gauge("kv_cache_usage_perc", "Fraction of KV-cache blocks in use (0-1).", stats.kvCacheUsage)
        gauge("prefix_cache_hit_rate", "Prefix-cache hits over queries, in tokens (0-1).", stats.prefixCacheHitRate)
        gauge("num_preemptions_total", "Preemptions since start.", Double(stats.preemptionCount), type: "counter")
        gauge("prompt_tokens_total", "Prompt tokens of finished requests.", Double(s.promptTokens), type: "counter")
        gauge("generation_tokens_total", "Generated tokens of finished requests.", Double(s.generationTokens), type: "counter")
        out += "# HELP floe:request_success_total Finished requests by finish reason.\n# TYPE floe:request_success_total counter\n"
        for reason in ["stop", "length", "abort"] {
            out += "floe:request_success_total{\(label),finished_reason=\"\(reason)\"} \(s.finished[reason] ?? 0)\n"
        }
        out += "# HELP floe:request_errors_total Requests refused or failed, by HTTP status.\n# TYPE floe:request_errors_total counter\n"
        for (status, count) in s.rejected.sorted(by: { $0.key < $1.key }) {
            out += "floe:request_errors_total{\(label),status=\"\(status)\"} \(count)\n"
        }
        histogram(&out, "time_to_first_token_seconds", "Time to first generated token.", s.timeToFirstToken, label)
        histogram(&out, "e2e_request_latency_seconds", "Request latency, arrival to last token.", s.endToEnd, label)
        return out
    }

    private func histogram(_ out: inout String, _ name: String, _ help: String, _ h: Histogram, _ label: String) {
        out += "# HELP floe:\(name) \(help)\n# TYPE floe:\(name) histogram\n"
        for (bound, count) in zip(Self.bucketBounds, h.counts) {
            out += "floe:\(name)_bucket{\(label),le=\"\(bound)\"} \(count)\n"
        }
        out += "floe:\(name)_bucket{\(label),le=\"+Inf\"} \(h.total)\n"
        out += "floe:\(name)_sum{\(label)} \(h.sum)\nfloe:\(name)_count{\(label)} \(h.total)\n"
    }
}
