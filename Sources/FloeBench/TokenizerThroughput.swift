import FloeTokenizers
import Foundation

/// Encode throughput of a tokenizer on a corpus of documents, on 1..n threads (documents are
/// encoded in parallel, as HF's `encode_batch` does), plus a linear-time check on one large text.
public enum TokenizerThroughput {
    public struct Result: Sendable, Codable {
        public var name: String
        public var threads: Int
        public var megabytesPerSecond: Double
        public var tokensPerSecond: Double
        public var tokens: Int
    }

    /// Documents separate with this byte in the corpus file (ASCII record separator), which
    /// source files and prose never contain.
    public static let separator = "\u{1E}"

    /// A deterministic mixed corpus: every Swift source under `sourceRoots` and every Markdown
    /// file under `docRoots`, sorted by path, repeated until `targetBytes`.
    public static func corpus(sourceRoots: [String], docRoots: [String], targetBytes: Int) -> [String] {
        var files: [String] = []
        for (roots, suffix) in [(sourceRoots, ".swift"), (docRoots, ".md")] {
            for root in roots {
                guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
                for case let relative as String in walker where relative.hasSuffix(suffix) {
                    files.append((root as NSString).appendingPathComponent(relative))
                }
            }
        }
        let texts = files.sorted().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            .map { $0.replacingOccurrences(of: separator, with: "") }
            .filter { !$0.isEmpty }
        guard !texts.isEmpty else { return [] }
        var documents: [String] = []
        var bytes = 0
        while bytes < targetBytes {
            for text in texts where bytes < targetBytes {
                documents.append(text)
                bytes += text.utf8.count
            }
        }
        return documents
    }

    public static func write(_ documents: [String], to path: String) throws {
        try documents.joined(separator: separator).write(toFile: path, atomically: true, encoding: .utf8)
    }

    public static func read(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: separator)
    }

    /// Best of `repetitions` timed passes after one warm-up pass.
    public static func measure(
        name: String, documents: [String], threads: Int, repetitions: Int,
        encode: @escaping @Sendable (String) -> Int
    ) -> Result {
        let bytes = documents.reduce(0) { $0 + $1.utf8.count }
        var best = Double.infinity
        var tokens = 0
        for repetition in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            tokens = encodeAll(documents, threads: threads, encode: encode)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if repetition > 0 { best = min(best, seconds) }
        }
        return Result(
            name: name, threads: threads, megabytesPerSecond: Double(bytes) / 1e6 / best,
            tokensPerSecond: Double(tokens) / best, tokens: tokens)
    }

    /// Workers take documents from a shared counter, so uneven sizes balance out.
    static func encodeAll(_ documents: [String], threads: Int, encode: @escaping @Sendable (String) -> Int) -> Int {
        if threads <= 1 { return documents.reduce(0) { $0 + encode($1) } }
        let next = Counter()
        let totals = Counter()
        let shared = documents
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var local = 0
            while true {
                let index = next.increment() - 1
                guard index < shared.count else { break }
                local += encode(shared[index])
            }
            totals.add(local)
        }
        return totals.value
    }

    /// Seconds to encode one text of `bytes` and one of twice that, to show encode time grows
    /// linearly (ratio near 2).
    public static func linearity(text: String, tokenizer: Tokenizer) -> (small: Double, large: Double) {
        let half = String(text.prefix(text.count / 2))
        func time(_ input: String) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = tokenizer.encode(input, addSpecialTokens: false)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = time(String(half.prefix(100_000)))
        return (time(half), time(text))
    }
}

/// A lock-protected integer shared by the worker threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }

    func add(_ amount: Int) {
        lock.lock()
        count += amount
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
