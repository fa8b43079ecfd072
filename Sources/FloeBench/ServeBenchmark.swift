import AsyncHTTPClient
import Foundation

/// `floe bench serve`: drives any OpenAI-compatible server with a request set at a chosen
/// arrival rate and concurrency cap, streaming every response, and reports latency and
/// throughput like vLLM's `bench serve`.
public struct ServeBenchmark: Sendable {
    public var baseURL: String
    public var endpoint: String
    public var model: String
    public var apiKey: String?
    public var ignoreEOS: Bool
    public var arrivals: RequestArrivals
    public var maxConcurrency: Int?
    public var slo: ServeBenchmarkReport.SLO?
    public var seed: UInt64
    public var showsProgress: Bool

    public init(
        baseURL: String, endpoint: String, model: String, apiKey: String?, ignoreEOS: Bool, arrivals: RequestArrivals,
        maxConcurrency: Int?, slo: ServeBenchmarkReport.SLO?, seed: UInt64, showsProgress: Bool
    ) {
        self.baseURL = baseURL
        self.endpoint = endpoint
        self.model = model
        self.apiKey = apiKey
        self.ignoreEOS = ignoreEOS
        self.arrivals = arrivals
        self.maxConcurrency = maxConcurrency
        self.slo = slo
        self.seed = seed
        self.showsProgress = showsProgress
    }

    public func run(_ requests: [BenchRequest]) async throws -> ServeBenchmarkReport {
        guard let kind = StreamingRequestClient.Endpoint(rawValue: endpoint) else {
            throw BenchError.invalid("--endpoint \(endpoint): expected /v1/completions or /v1/chat/completions")
        }
        if let maxConcurrency, maxConcurrency < 1 { throw BenchError.invalid("--max-concurrency must be at least 1") }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        // One connection per concurrent request (AsyncHTTPClient's default is 8 per host). Idle
        // connections are dropped after 1 s, before servers with short keep-alive times (5 s in
        // llama-server) close them under a request that would reuse them.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(1), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConcurrency ?? requests.count)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let report = try await run(requests, kind: kind, base: base, http: http)
            try await http.shutdown()
            return report
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func run(_ requests: [BenchRequest], kind: StreamingRequestClient.Endpoint, base: String, http: HTTPClient)
        async throws -> ServeBenchmarkReport
    {
        let client = StreamingRequestClient(
            client: http, baseURL: base, endpoint: kind, model: model, apiKey: apiKey, ignoreEOS: ignoreEOS)

        // One short request first, so connection setup and the server's first-call costs stay
        // out of the numbers; its failure stops the run early with the server's message.
        let probe = await client.send(BenchRequest(prompt: requests[0].prompt, inputTokens: requests[0].inputTokens, outputTokens: 4))
        guard probe.succeeded else { throw BenchError.invalid("the first test request failed: \(probe.error ?? "unknown error")") }

        let gaps = arrivals.gaps(count: requests.count, seed: seed)
        let slots = ConcurrencyLimit(maxConcurrency ?? requests.count)
        var progress = BenchProgress(total: requests.count, enabled: showsProgress)
        let start = ContinuousClock.now
        let outcomes = await withTaskGroup(of: (Int, StreamingRequestClient.Outcome).self) { group in
            for (index, request) in requests.enumerated() {
                if gaps[index] > 0 { try? await Task.sleep(for: .seconds(gaps[index])) }
                await slots.acquire()
                group.addTask {
                    let outcome = await client.send(request)
                    await slots.release()
                    return (index, outcome)
                }
            }
            var results = [StreamingRequestClient.Outcome?](repeating: nil, count: requests.count)
            for await (index, outcome) in group {
                results[index] = outcome
                progress.advance()
            }
            return results.map { $0! }
        }
        progress.finish()
        return ServeBenchmarkReport(
            outcomes: outcomes, duration: (ContinuousClock.now - start).seconds, endpoint: endpoint, model: model,
            arrivals: arrivals, maxConcurrency: maxConcurrency, slo: slo)
    }
}

/// A counting semaphore for `--max-concurrency`.
actor ConcurrencyLimit {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}

/// `completed/total` with a bar on stderr.
struct BenchProgress {
    let total: Int
    let enabled: Bool
    private var done = 0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    mutating func advance() {
        done += 1
        guard enabled else { return }
        let width = 40, filled = total > 0 ? done * width / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) requests".utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}
