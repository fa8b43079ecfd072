import Foundation

/// Runs llama.cpp's `llama-bench` (built by the user outside this repository) on the same GGUF
/// file with the same thread count, so Floe's figures sit next to the peer's from the same run.
public enum LlamaBenchPeer {
    public struct Result: Sendable, Codable {
        public var prefillTokensPerSecond: Double?
        public var decodeTokensPerSecond: Double?
        public var buildInfo: String
    }

    public enum PeerError: Error, CustomStringConvertible {
        case failed(String)
        public var description: String {
            switch self { case .failed(let message): "llama-bench: \(message)" }
        }
    }

    public static func run(
        executable: String, model: String, threads: Int, promptTokens: Int, generatedTokens: Int, repetitions: Int
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "-m", model, "-t", String(threads), "-p", String(promptTokens), "-n", String(generatedTokens),
            "-r", String(repetitions), "-o", "json",
        ]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw PeerError.failed("cannot start \(executable): \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerError.failed("exit \(process.terminationStatus): \(errorText.suffix(500))")
        }
        guard let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw PeerError.failed("output is not the JSON list of results it should be")
        }
        var result = Result(buildInfo: "")
        for row in rows {
            let prompt = row["n_prompt"] as? Int ?? 0, generated = row["n_gen"] as? Int ?? 0
            let speed = row["avg_ts"] as? Double
            if let commit = row["build_commit"] as? String { result.buildInfo = "commit \(commit)" }
            if prompt > 0 && generated == 0 { result.prefillTokensPerSecond = speed }
            if generated > 0 && prompt == 0 { result.decodeTokensPerSecond = speed }
        }
        return result
    }
}
