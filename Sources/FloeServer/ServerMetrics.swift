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
    private let timeToFirstToken, timePerOutputToken, endToEnd: ValueHistogram
    /// The engine's preemption count already added to the counter (scrapes may interleave).
    private let preemptionsCounted = Mutex(0)

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
        let newPreemptions = preemptionsCounted.withLock { counted in
            defer { counted = max(counted, stats.preemptionCount) }
            return max(stats.preemptionCount - counted, 0)
        }
        if newPreemptions > 0 { preemptions.increment(by: Int64(newPreemptions)) }
        return registry.emitToString()
    }
}
