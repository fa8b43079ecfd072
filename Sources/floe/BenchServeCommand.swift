import ArgumentParser
import FloeBench
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe bench serve`: a load generator for any OpenAI-compatible server, with the flag names of
/// vLLM's `vllm bench serve`.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test an OpenAI-compatible server (like `vllm bench serve`): TTFT, TPOT, ITL, E2EL, throughput, goodput.")

    @Option(name: .customLong("base-url"), help: "The server, e.g. http://127.0.0.1:8000.") var baseURL = "http://127.0.0.1:8000"
    @Option(help: "/v1/completions or /v1/chat/completions.") var endpoint = "/v1/completions"
    @Option(help: "The model name to send.") var model: String
    @Option(help: "Tokenizer to build prompts and count tokens: a .gguf, tokenizer.json or HF model directory.")
    var tokenizer: String?
    @Option(name: .customLong("api-key"), help: "Sent as `Authorization: Bearer` (also OPENAI_API_KEY).") var apiKey: String?
    @Option(name: .customLong("dataset-name"), help: "random or sharegpt.") var datasetName = "random"
    @Option(name: .customLong("dataset-path"), help: "The ShareGPT JSON file.") var datasetPath: String?
    @Option(name: .customLong("num-prompts")) var numPrompts = 1000
    @Option(name: .customLong("random-input-len")) var randomInputLen = 1024
    @Option(name: .customLong("random-output-len")) var randomOutputLen = 128
    @Option(name: .customLong("random-range-ratio")) var randomRangeRatio = 0.0
    @Flag(name: .customLong("random-token-ids"), help: "Send random prompts as token ids (exact lengths; /v1/completions only).")
    var randomTokenIDs = false
    @Option(name: .customLong("sharegpt-output-len"), help: "Output length for every ShareGPT request (default: its reply's).")
    var sharegptOutputLen: Int?
    @Option(name: .customLong("request-rate"), help: "Requests per second, or inf to send all at once.") var requestRate = "inf"
    @Option(help: "Gamma shape of the arrival gaps; 1 is Poisson.") var burstiness = 1.0
    @Option(name: .customLong("max-concurrency"), help: "Most requests in flight at once.") var maxConcurrency: Int?
    @Flag(name: .customLong("ignore-eos"), help: "Ask the server to generate past EOS (exact output lengths).")
    var ignoreEOS = false
    @Option(parsing: .upToNextOption, help: "SLOs for goodput, e.g. ttft:200 tpot:50 e2el:2000 (ms).") var goodput: [String] = []
    @Option(help: "Seed for the dataset and arrival times.") var seed: UInt64 = 0
    @Flag(name: .customLong("save-result"), help: "Write the results as JSON.") var saveResult = false
    @Option(name: .customLong("result-filename"), help: "JSON file for --save-result.") var resultFilename: String?
    @Option(name: .customLong("label"), help: "Name of this run in the printed header.") var label: String?

    func run() async throws {
        let tokenizer = try self.tokenizer.map { try TokenizerLoader.load(path: $0) }
        let rate = requestRate == "inf" ? Double.infinity : Double(requestRate)
        guard let rate else { throw ValidationError("--request-rate \(requestRate): expected a number or inf") }
        do {
            let requests: [BenchRequest]
            switch datasetName {
            case "random":
                requests = try BenchDataset.random(
                    count: numPrompts, inputLength: randomInputLen, outputLength: randomOutputLen, rangeRatio: randomRangeRatio,
                    tokenizer: tokenizer, asTokenIDs: randomTokenIDs, seed: seed)
            case "sharegpt":
                guard let datasetPath else { throw ValidationError("--dataset-name sharegpt needs --dataset-path") }
                requests = try BenchDataset.shareGPT(
                    file: datasetPath, count: numPrompts, tokenizer: tokenizer, fixedOutputLength: sharegptOutputLen, seed: seed)
            default:
                throw ValidationError("--dataset-name \(datasetName): expected random or sharegpt")
            }
            let benchmark = ServeBenchmark(
                baseURL: baseURL, endpoint: endpoint, model: model,
                apiKey: apiKey ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"], ignoreEOS: ignoreEOS,
                arrivals: try RequestArrivals(rate: rate, burstiness: burstiness), maxConcurrency: maxConcurrency,
                slo: goodput.isEmpty ? nil : try ServeBenchmarkReport.SLO(parsing: goodput), seed: seed,
                showsProgress: isatty(STDERR_FILENO) == 1)
            if let label { print("\(label): \(baseURL)\(endpoint)") }
            let report = try await benchmark.run(requests)
            print(report.text, terminator: "")
            if saveResult || resultFilename != nil {
                let file = resultFilename ?? "floe-bench-serve-\(Int(Date().timeIntervalSince1970)).json"
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                try encoder.encode(report).write(to: URL(fileURLWithPath: file))
                print("results written to \(file)")
            }
        } catch let error as BenchError {
            throw ValidationError(error.description)
        }
    }
}
