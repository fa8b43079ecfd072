import ArgumentParser
import FloeBench
import FloeCPU
import FloeModels
import Foundation

/// `floe bench` (`floe bench model`): prefill and decode speed of a model next to this machine's decode bandwidth
/// bound and, when given, llama.cpp's `llama-bench` on the same file, all in one run.
/// The default subcommand of `floe bench`, so `floe bench --model X` keeps working.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Measure prefill/decode tokens/s next to the memory-bandwidth bound and llama-bench.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("prompt-tokens"), help: "Prefill length.")
    var promptTokens = 512

    @Option(name: .customLong("gen-tokens"), help: "Decode length.")
    var generatedTokens = 128

    @Option(help: "Timed repetitions (best is kept) after one warm-up.")
    var repetitions = 3

    @Option(name: .customLong("prefill-chunk"),
        help: "Prompt tokens per forward pass during prefill (llama-bench's -ub; floe serve's --max-num-batched-tokens is 2048).")
    var prefillChunk = 512

    @Option(name: .customLong("llama-bench"), help: "Path to llama.cpp's llama-bench, to run on the same file. [env: LLAMA_BENCH]")
    var llamaBench: String?

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @Option(name: .customLong("device-bandwidth"),
        help: "Bytes/s of the device's memory (e.g. a measured copy rate) for the decode bound on a GPU; the CPU measures its own.")
    var deviceBandwidth: Double?

    struct Report: Codable {
        var model: String
        var threads: Int
        var cpu: String
        var weightBytesPerToken: Int
        var memory: MemoryBandwidth.Result
        var decodeBoundTokensPerSecond: Double
        var floe: ModelThroughput.Result
        var llamaCpp: LlamaBenchPeer.Result?
    }

    func validate() throws {
        guard prefillChunk >= 1 else { throw ValidationError("--prefill-chunk must be at least 1, not \(prefillChunk)") }
    }

    func run() throws {
        let loaded = try modelOptions.load()
        let threads = modelOptions.resolvedThreads
        var memory = MemoryBandwidth.measure(threads: threads)
        let onCPU = loaded.model.backend is CPUBackend
        if onCPU { memory.streamReadBytesPerSecond = MemoryBandwidth.measureStreamRead(backend: loaded.model.backend) }
        let weightBytes = loaded.model.weightBytesPerToken
        let floe = try ModelThroughput.measure(
            model: loaded.model, promptTokens: promptTokens, generatedTokens: generatedTokens, repetitions: repetitions,
            prefillChunk: prefillChunk)
        let peer = try (llamaBench ?? ProcessInfo.processInfo.environment["LLAMA_BENCH"]).map {
            try LlamaBenchPeer.run(
                executable: $0, model: modelOptions.model, threads: threads, promptTokens: promptTokens,
                generatedTokens: generatedTokens, repetitions: repetitions)
        }
        let report = Report(
            model: (modelOptions.model as NSString).lastPathComponent, threads: threads,
            cpu: onCPU ? Self.cpuName() : loaded.model.backend.name,
            weightBytesPerToken: weightBytes, memory: memory,
            decodeBoundTokensPerSecond: (onCPU ? memory.streamReadBytesPerSecond ?? memory.readBytesPerSecond : deviceBandwidth ?? .nan)
                / Double(weightBytes), floe: floe, llamaCpp: peer)
        print(Self.table(report, promptTokens: promptTokens, generatedTokens: generatedTokens))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }

    static func table(_ r: Report, promptTokens: Int, generatedTokens: Int) -> String {
        func ratio(_ a: Double, _ b: Double?) -> String {
            guard let b, b > 0 else { return "—" }
            return String(format: "%.2f×", a / b)
        }
        let memoryGB = r.memory.copyBytesPerSecond / 1e9
        var lines = [
            "model \(r.model) | \(r.cpu) | \(r.threads) threads",
            String(format: "memory copy %.1f GB/s (read+write); streaming read %.1f GB/s; weights read per decoded token %.1f MB; decode bound %.1f tok/s (streaming read / weight bytes)",
                memoryGB, (r.memory.streamReadBytesPerSecond ?? 0) / 1e9, Double(r.weightBytesPerToken) / 1e6,
                r.decodeBoundTokensPerSecond),
            "",
            "| test | Floe tok/s | llama.cpp tok/s | Floe / llama.cpp | Floe / bound |",
            "|---|---|---|---|---|",
        ]
        let peerPrefill = r.llamaCpp?.prefillTokensPerSecond, peerDecode = r.llamaCpp?.decodeTokensPerSecond
        lines.append(String(format: "| pp%d | %.1f | %@ | %@ | — |", promptTokens, r.floe.prefillTokensPerSecond,
            peerPrefill.map { String(format: "%.1f", $0) } ?? "—", ratio(r.floe.prefillTokensPerSecond, peerPrefill)))
        lines.append(String(format: "| tg%d | %.1f | %@ | %@ | %@ |", generatedTokens, r.floe.decodeTokensPerSecond,
            peerDecode.map { String(format: "%.1f", $0) } ?? "—", ratio(r.floe.decodeTokensPerSecond, peerDecode),
            String(format: "%.0f%%", 100 * r.floe.decodeTokensPerSecond / r.decodeBoundTokensPerSecond)))
        return lines.joined(separator: "\n")
    }

    static func cpuName() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        else { return "unknown CPU" }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }
}
