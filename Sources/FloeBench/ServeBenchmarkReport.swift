import Foundation

/// The numbers of a `floe bench serve` run, with vLLM's `bench serve` definitions:
/// TTFT = time to the first content chunk; TPOT = (E2EL − TTFT) / (output tokens − 1);
/// ITL = gap between content chunks; goodput = requests per second meeting every SLO.
public struct ServeBenchmarkReport: Codable, Sendable {
    public struct Summary: Codable, Sendable {
        public var mean: Double
        public var median: Double
        public var p90: Double
        public var p99: Double

        /// Milliseconds, from seconds.
        init(milliseconds seconds: [Double]) {
            let values = seconds.map { $0 * 1000 }.sorted()
            mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            median = Self.percentile(values, 50)
            p90 = Self.percentile(values, 90)
            p99 = Self.percentile(values, 99)
        }

        /// Linear interpolation between closest ranks (numpy's default, as vLLM uses).
        static func percentile(_ sorted: [Double], _ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = p / 100 * Double(sorted.count - 1)
            let low = Int(rank.rounded(.down)), high = min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
        }
    }

    public var endpoint: String
    public var model: String
    public var numPrompts: Int
    public var completed: Int
    public var failed: Int
    public var errors: [String]
    /// Requests per second; nil for an infinite rate (all sent at once; JSON has no inf).
    public var requestRate: Double?
    public var burstiness: Double
    public var maxConcurrency: Int?
    public var durationSeconds: Double
    public var totalInputTokens: Int
    public var totalOutputTokens: Int
    public var requestThroughput: Double
    public var outputThroughput: Double
    public var totalTokenThroughput: Double
    public var goodput: Double?
    public var ttftMs: Summary
    public var tpotMs: Summary
    public var itlMs: Summary
    public var e2elMs: Summary
    /// Per-request figures, for plots and re-analysis.
    public var inputLens: [Int]
    public var outputLens: [Int]
    public var ttfts: [Double]

    /// Service-level objectives for goodput, in milliseconds.
    public struct SLO: Sendable {
        public var ttftMs: Double?
        public var tpotMs: Double?
        public var e2elMs: Double?

        public init(ttftMs: Double? = nil, tpotMs: Double? = nil, e2elMs: Double? = nil) {
            self.ttftMs = ttftMs
            self.tpotMs = tpotMs
            self.e2elMs = e2elMs
        }

        /// `ttft:200 tpot:50 e2el:1000` (vLLM's `--goodput` syntax).
        public init(parsing items: [String]) throws {
            for item in items {
                let parts = item.split(separator: ":")
                guard parts.count == 2, let value = Double(parts[1]), value > 0 else {
                    throw BenchError.invalid("--goodput \(item): expected name:milliseconds, such as ttft:200")
                }
                switch parts[0] {
                case "ttft": ttftMs = value
                case "tpot": tpotMs = value
                case "e2el": e2elMs = value
                default: throw BenchError.invalid("--goodput \(item): the SLO names are ttft, tpot and e2el")
                }
            }
        }
    }

    static func tpot(_ outcome: StreamingRequestClient.Outcome) -> Double? {
        outcome.outputTokens > 1 ? (outcome.latency - outcome.ttft) / Double(outcome.outputTokens - 1) : nil
    }

    init(
        outcomes: [StreamingRequestClient.Outcome], duration: Double, endpoint: String, model: String, arrivals: RequestArrivals,
        maxConcurrency: Int?, slo: SLO?
    ) {
        let good = outcomes.filter(\.succeeded)
        self.endpoint = endpoint
        self.model = model
        numPrompts = outcomes.count
        completed = good.count
        failed = outcomes.count - good.count
        errors = Array(Set(outcomes.compactMap(\.error))).sorted().prefix(10).map { $0 }
        requestRate = arrivals.rate.isFinite ? arrivals.rate : nil
        burstiness = arrivals.burstiness
        self.maxConcurrency = maxConcurrency
        durationSeconds = duration
        totalInputTokens = good.reduce(0) { $0 + $1.promptTokens }
        totalOutputTokens = good.reduce(0) { $0 + $1.outputTokens }
        requestThroughput = Double(completed) / duration
        outputThroughput = Double(totalOutputTokens) / duration
        totalTokenThroughput = Double(totalInputTokens + totalOutputTokens) / duration
        ttftMs = Summary(milliseconds: good.map(\.ttft))
        tpotMs = Summary(milliseconds: good.compactMap(Self.tpot))
        itlMs = Summary(milliseconds: good.flatMap(\.interTokenLatencies))
        e2elMs = Summary(milliseconds: good.map(\.latency))
        inputLens = good.map(\.promptTokens)
        outputLens = good.map(\.outputTokens)
        ttfts = good.map(\.ttft)
        goodput = slo.map { slo in
            let meeting = good.filter { outcome in
                if let limit = slo.ttftMs, outcome.ttft * 1000 > limit { return false }
                if let limit = slo.tpotMs, (Self.tpot(outcome) ?? 0) * 1000 > limit { return false }
                if let limit = slo.e2elMs, outcome.latency * 1000 > limit { return false }
                return true
            }
            return Double(meeting.count) / duration
        }
    }

    /// The table vLLM prints.
    public var text: String {
        func line(_ name: String, _ value: String) -> String {
            name.padding(toLength: 40, withPad: " ", startingAt: 0) + value.leftPadded(to: 12) + "\n"
        }
        func number(_ value: Double) -> String { String(format: "%.2f", value) }
        var out = String(repeating: "=", count: 18) + " Serving Benchmark Result " + String(repeating: "=", count: 9) + "\n"
        out += line("Successful requests:", "\(completed)")
        out += line("Failed requests:", "\(failed)")
        if let maxConcurrency { out += line("Maximum request concurrency:", "\(maxConcurrency)") }
        out += line("Benchmark duration (s):", number(durationSeconds))
        out += line("Total input tokens:", "\(totalInputTokens)")
        out += line("Total generated tokens:", "\(totalOutputTokens)")
        out += line("Request throughput (req/s):", number(requestThroughput))
        if let goodput { out += line("Request goodput (req/s):", number(goodput)) }
        out += line("Output token throughput (tok/s):", number(outputThroughput))
        out += line("Total token throughput (tok/s):", number(totalTokenThroughput))
        for (title, name, summary) in [
            ("Time to First Token", "TTFT", ttftMs), ("Time per Output Token (excl. 1st token)", "TPOT", tpotMs),
            ("Inter-token Latency", "ITL", itlMs), ("End-to-end Latency", "E2EL", e2elMs),
        ] {
            let padding = max(50 - title.count - 2, 0)
            out += String(repeating: "-", count: padding / 2) + title + String(repeating: "-", count: padding - padding / 2) + "\n"
            out += line("Mean \(name) (ms):", number(summary.mean))
            out += line("Median \(name) (ms):", number(summary.median))
            out += line("P90 \(name) (ms):", number(summary.p90))
            out += line("P99 \(name) (ms):", number(summary.p99))
        }
        out += String(repeating: "=", count: 52) + "\n"
        if !errors.isEmpty { out += "errors: " + errors.joined(separator: "; ") + "\n" }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
