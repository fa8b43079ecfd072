import FloeEngine
import Foundation
import Prometheus
import Synchronization

/// `GET /metrics`: the server's counters and latency histograms in a swift-prometheus registry,
/// with vLLM's metric names under a `floe:` prefix (`vllm:e2e_request_latency_seconds` →
/// `floe:e2e_request_latency_seconds`), so vLLM dashboards need only the prefix changed.
///
/// The registry belongs to this server (not the process-wide MetricsSystem), so several servers
/// in one process (tests) keep separate numbers. Engine gauges are read at scrape time.
final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the request latency buckets (TTFT, end to end).
    static let latencyBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
    /// Time per output token is a per-token figure: finer buckets.
    static let perTokenBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5]

    private let registry = PrometheusCollectorRegistry()
    private let labels: [(String, String)]
    private let running, waiting, kvUsage, prefixHitRate: Gauge
    private let preemptions, promptTokens, generationTokens: Counter
    /// Speculative decoding, vLLM's `spec_decode_*` counters (zero without `--speculative-config`).
    private let drafts, draftTokens, acceptedTokens: Counter
    private let timeToFirstToken, timePerOutputToken, endToEnd: ValueHistogram
    /// Engine totals already added to each counter, by metric name (scrapes may interleave).
    private let counted = Mutex<[String: Int]>([:])

    init(model: String) {
        let registry = self.registry
        let labels = [("model_name", model)]
        self.labels = labels
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
        }
        func histogram(_ name: String, _ buckets: [Double], _ help: String) -> ValueHistogram {
            registry.makeValueHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
        }
        running = gauge("num_requests_running", "Requests in the engine's running batch.")
        waiting = gauge("num_requests_waiting", "Requests waiting for the engine.")
        kvUsage = gauge("kv_cache_usage_perc", "Fraction of KV-cache blocks held by requests (0-1).")
        prefixHitRate = gauge("prefix_cache_hit_rate", "Prefix-cache hits over queries since start, in tokens (0-1).")
        preemptions = counter("num_preemptions_total", "Preemptions since start.")
        promptTokens = counter("prompt_tokens_total", "Prompt tokens of finished requests.")
        generationTokens = counter("generation_tokens_total", "Generated tokens of finished requests.")
        timeToFirstToken = histogram("time_to_first_token_seconds", Self.latencyBuckets, "Time from arrival to the first generated token.")
        timePerOutputToken = histogram(
            "time_per_output_token_seconds", Self.perTokenBuckets, "Mean time between output tokens of a request, after the first.")
        endToEnd = histogram("e2e_request_latency_seconds", Self.latencyBuckets, "Request latency, arrival to last token.")
        drafts = counter("spec_decode_num_drafts_total", "Speculative drafts proposed and verified.")
        draftTokens = counter("spec_decode_num_draft_tokens_total", "Draft tokens verified.")
        acceptedTokens = counter("spec_decode_num_accepted_tokens_total", "Draft tokens accepted.")
        // Every finish reason is listed from the start, so a scrape sees zeros, not absences.
        for reason in ["stop", "length", "abort"] { _ = finishedCounter(reason) }
    }

    private func finishedCounter(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.descriptor("request_success_total", "Finished requests by finish reason."),
            labels: labels + [("finished_reason", reason)])
    }

    /// `floe:<name>`: the prefix is part of the metric name (no unit suffix is added).
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: "floe:\(name)", unitName: "", helpText: help)
    }

    /// One request's numbers, once it has ended (finished, stopped, or aborted).
    func recordFinished(
        reason: String, promptTokens prompt: Int, completionTokens completion: Int, seconds: Double, firstTokenSeconds: Double?
    ) {
        finishedCounter(reason).increment()
        promptTokens.increment(by: Int64(prompt))
        generationTokens.increment(by: Int64(completion))
        endToEnd.record(seconds)
        if let firstTokenSeconds {
            timeToFirstToken.record(firstTokenSeconds)
            if completion > 1 { timePerOutputToken.record((seconds - firstTokenSeconds) / Double(completion - 1)) }
        }
    }

    func recordError(status: Int) {
        registry.makeCounter(
            descriptor: Self.descriptor("request_errors_total", "Requests refused or failed, by HTTP status."),
            labels: labels + [("status", String(status))])
            .increment()
    }

    /// The exposition text, engine gauges read now.
    func render(engine stats: EngineStats) -> String {
        running.set(Double(stats.runningCount))
        waiting.set(Double(stats.waitingCount))
        kvUsage.set(stats.kvCacheUsage)
        prefixHitRate.set(stats.prefixCacheHitRate)
        let speculative = stats.speculative
        advance(preemptions, "preemptions", to: stats.preemptionCount)
        advance(drafts, "drafts", to: speculative.draftCount)
        advance(draftTokens, "draft_tokens", to: speculative.draftedTokens)
        advance(acceptedTokens, "accepted_tokens", to: speculative.acceptedTokens)
        for (position, accepted) in speculative.acceptedPerPosition.enumerated() {
            let counter = registry.makeCounter(
                descriptor: Self.descriptor("spec_decode_num_accepted_tokens_per_pos", "Accepted draft tokens by draft position."),
                labels: labels + [("position", String(position))])
            advance(counter, "accepted_at_\(position)", to: accepted)
        }
        return registry.emitToString()
    }

    /// Raises `counter` to the engine's running `total` (counters only move up).
    private func advance(_ counter: Counter, _ key: String, to total: Int) {
        let delta = counted.withLock { counted -> Int in
            let before = counted[key, default: 0]
            counted[key] = max(before, total)
            return max(total - before, 0)
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}
