import ArgumentParser
import FloeBench
import FloeRunner
import Foundation

/// `floe bench-suffix`: cost of suffix-tree calls on a replayed coding workload — Python source
/// files tokenized, the first 30 % of each as its prompt and the rest as its response; 200
/// requests warm the global cache, then 50 are decoded with drafts checked against the true
/// continuation. `scripts/bench-suffix.sh` runs Arctic Inference's C++ tree on the same
/// streams (written with `--streams-out`) in the same run.
struct BenchSuffixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-suffix", abstract: "Suffix decoding cost per call on tokenized source files.")

    @Option(help: "Tokenizer source: a GGUF file or HF model directory.")
    var model = ProcessInfo.processInfo.environment["FLOE_MODEL"] ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(name: .customLong("source-dir"), help: "Directory of .py files to tokenize.") var sourceDirectory = "/usr/lib/python3.11"
    @Option(name: .customLong("warm-requests")) var warmRequests = 200
    @Option(name: .customLong("eval-requests")) var evalRequests = 50
    @Option(name: .customLong("max-spec-tokens")) var maxSpecTokens = 16
    @Option(help: "Repeat the whole replay this many times and keep the fastest.") var repeats = 3
    @Option(name: .customLong("streams-out"), help: "Write the token streams as JSON (for the Arctic driver).")
    var streamsOut: String?
    @Option(name: .customLong("streams-in"), help: "Read token streams from JSON instead of tokenizing.")
    var streamsIn: String?

    func run() throws {
        let streams = try streamsIn.map { try JSONDecoder().decode([[Int32]].self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
            ?? tokenizeSources()
        guard streams.count >= warmRequests + evalRequests else {
            throw ValidationError("need \(warmRequests + evalRequests) streams, found \(streams.count)")
        }
        if let streamsOut { try JSONEncoder().encode(streams).write(to: URL(fileURLWithPath: streamsOut)) }
        let examples = SuffixReplay.examples(fromStreams: streams)
        var parameters = SuffixReplay.Parameters()
        parameters.maxSpecTokens = maxSpecTokens
        var best: SuffixReplay.Result?
        for _ in 0..<max(repeats, 1) {
            let result = try SuffixReplay.run(
                train: Array(examples.prefix(warmRequests)),
                evaluate: Array(examples[warmRequests..<(warmRequests + evalRequests)]), parameters: parameters)
            if best == nil || result.speculateSeconds + result.addSeconds < best!.speculateSeconds + best!.addSeconds { best = result }
        }
        let result = best!
        print(String(
            format: "floe: %d streams (%d tokens); acceptance %.4f (%d/%d drafted), %d steps, speedup %.3f; "
                + "%.2f µs/speculate, %.3f µs/added token, %.3f µs/warm token",
            streams.count, streams.reduce(0) { $0 + $1.count }, result.acceptanceRate, result.acceptedTokens, result.draftedTokens,
            result.steps, result.meanRequestSpeedup, result.microsecondsPerSpeculate, result.microsecondsPerAddedToken,
            result.microsecondsPerWarmToken))
    }

    /// The first `warm + eval` .py files (sorted by path, 2–40 kB) under the source directory.
    private func tokenizeSources() throws -> [[Int32]] {
        let tokenizer = try TokenizerLoader.load(path: model)
        guard let enumerator = FileManager.default.enumerator(atPath: sourceDirectory) else {
            throw ValidationError("cannot read \(sourceDirectory)")
        }
        var paths: [String] = []
        for case let relative as String in enumerator where relative.hasSuffix(".py") && !relative.contains("site-packages") {
            let path = sourceDirectory + "/" + relative
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if (2_000...40_000).contains(size) { paths.append(path) }
        }
        paths.sort()
        var streams: [[Int32]] = []
        for path in paths {
            guard streams.count < warmRequests + evalRequests else { break }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            streams.append(tokenizer.encode(text, addSpecialTokens: false).map { Int32($0) })
        }
        return streams
    }
}
