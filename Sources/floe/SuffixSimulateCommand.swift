import ArgumentParser
import FloeBench
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe suffix-simulate`: Arctic's suffix decoding simulator (spec §5.6). Replays a dataset
/// of prompt/response pairs — JSON array or JSONL of objects with `prompt` and `response`,
/// each text (tokenized with `--model`) or token ids — building the global cache from all but
/// the last `--eval-count` examples and decoding those. Reports acceptance, speedup (output
/// tokens per step) and cost per call, for every combination of the comma-separated values.
struct SuffixSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suffix-simulate", abstract: "Simulate suffix decoding on a prompt/response dataset, sweeping parameters.")

    @Argument(help: "Dataset: .json (array) or .jsonl of {\"prompt\": …, \"response\": …}.") var dataset: String
    @Option(help: "Tokenizer (GGUF file or HF directory) for text datasets.") var model: String?
    @Option(name: .customLong("eval-count"), help: "Examples evaluated (the last ones); the rest warm the cache.")
    var evalCount = 50
    @Option(name: .customLong("max-depth")) var maxDepth = "64"
    @Option(name: .customLong("max-spec-tokens"), help: "0 means max depth.") var maxSpecTokens = "0"
    @Option(name: .customLong("max-spec-factor")) var maxSpecFactor = "1.0"
    @Option(name: .customLong("max-spec-offset")) var maxSpecOffset = "0.0"
    @Option(name: .customLong("min-token-prob")) var minTokenProb = "0.1"
    @Option(name: .customLong("use-tree-spec")) var useTreeSpec = "true"
    @Option(name: .customLong("max-cached-requests")) var maxCachedRequests = "-1"
    @Option(name: .shortAndLong, help: "Write the results as CSV.") var output: String?

    func run() throws {
        let examples = try loadExamples()
        guard examples.count > evalCount, evalCount > 0 else {
            throw ValidationError("the dataset has \(examples.count) examples; --eval-count \(evalCount) must leave some to warm the cache")
        }
        let train = Array(examples.dropLast(evalCount)), evaluate = Array(examples.suffix(evalCount))
        var rows = ["max_depth,max_spec_tokens,max_spec_factor,max_spec_offset,min_token_prob,use_tree_spec,max_cached_requests,"
            + "accept_rate,req_speedup,ms_per_spec,ms_per_update_token"]
        for depth in try list(maxDepth, "--max-depth", Int.init) {
            for specTokens in try list(maxSpecTokens, "--max-spec-tokens", Int.init) {
                for factor in try list(maxSpecFactor, "--max-spec-factor", Float.init) {
                    for offset in try list(maxSpecOffset, "--max-spec-offset", Float.init) {
                        for probability in try list(minTokenProb, "--min-token-prob", Float.init) {
                            for tree in try list(useTreeSpec, "--use-tree-spec", { Bool($0.lowercased()) }) {
                                for cached in try list(maxCachedRequests, "--max-cached-requests", Int.init) {
                                    var parameters = SuffixReplay.Parameters()
                                    parameters.maxDepth = depth
                                    parameters.maxSpecTokens = specTokens
                                    parameters.maxSpecFactor = factor
                                    parameters.maxSpecOffset = offset
                                    parameters.minTokenProbability = probability
                                    parameters.usesTreeSpeculation = tree
                                    parameters.maxCachedRequests = cached
                                    let result = try SuffixReplay.run(train: train, evaluate: evaluate, parameters: parameters)
                                    let row = String(
                                        format: "%d,%d,%g,%g,%g,%@,%d,%.4f,%.4f,%.5f,%.5f", depth, specTokens, factor, offset,
                                        probability, String(tree), cached, result.acceptanceRate, result.meanRequestSpeedup,
                                        result.microsecondsPerSpeculate / 1000, result.microsecondsPerAddedToken / 1000)
                                    print(row)
                                    rows.append(row)
                                }
                            }
                        }
                    }
                }
            }
        }
        if let output { try (rows.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8) }
    }

    private func list<T>(_ text: String, _ flag: String, _ parse: (String) -> T?) throws -> [T] {
        try text.split(separator: ",").map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = parse(trimmed) else { throw ValidationError("\(flag): cannot read '\(trimmed)'") }
            return value
        }
    }

    private func loadExamples() throws -> [SuffixReplay.Example] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataset))
        let objects: [Any]
        if dataset.hasSuffix(".jsonl") {
            objects = try data.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 32 || $0 == 13 } }.enumerated().map {
                do { return try JSONSerialization.jsonObject(with: Data($1)) } catch {
                    throw ValidationError("\(dataset) line \($0 + 1) is not JSON")
                }
            }
        } else {
            guard let array = try JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw ValidationError("\(dataset) must hold a JSON array of {prompt, response} objects")
            }
            objects = array
        }
        var tokenizer: Tokenizer?
        func tokens(_ value: Any?, field: String, index: Int) throws -> [Int32] {
            if let ids = value as? [Int] { return ids.map { Int32(truncatingIfNeeded: $0) } }
            if let text = value as? String {
                if tokenizer == nil {
                    guard let model else { throw ValidationError("example \(index) has text; pass --model to tokenize it") }
                    tokenizer = try TokenizerLoader.load(path: model)
                }
                return tokenizer!.encode(text, addSpecialTokens: false).map { Int32($0) }
            }
            throw ValidationError("example \(index): \(field) must be text or a list of token ids")
        }
        return try objects.enumerated().map { index, object in
            guard let fields = object as? [String: Any] else { throw ValidationError("example \(index) is not an object") }
            return SuffixReplay.Example(
                prompt: try tokens(fields["prompt"], field: "prompt", index: index),
                response: try tokens(fields["response"], field: "response", index: index))
        }
    }
}
