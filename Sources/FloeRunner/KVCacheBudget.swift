import Foundation

/// How much memory the KV cache may take: a fixed size, or a fraction of the memory available
/// when the engine starts (vLLM's `--gpu-memory-utilization`, applied to host memory).
public enum KVCacheBudget: Sendable, Equatable {
    case bytes(Int)
    case fractionOfAvailableMemory(Double)

    /// Parses `2GiB`, `512MB`, `1073741824` (bytes) or `0.3` / `30%` (a fraction).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let percent = Double(trimmed.dropLast()), percent > 0, percent <= 100 {
            self = .fractionOfAvailableMemory(percent / 100)
            return
        }
        if let fraction = Double(trimmed), fraction > 0, fraction < 1, trimmed.contains(".") {
            self = .fractionOfAvailableMemory(fraction)
            return
        }
        let units: [(String, Int)] = [
            ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000),
            ("KB", 1_000), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1), ("", 1),
        ]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            if let value = Double(number), value > 0, value * Double(scale) < 1e15 {
                self = .bytes(Int(value * Double(scale)))
                return
            }
        }
        throw EngineOptionsError.invalid(
            "KV cache memory '\(text)' is neither a size (e.g. 2GiB, 512MB) nor a fraction (e.g. 0.3, 30%)")
    }

    /// The size in bytes; fractions are taken of `MemAvailable` in /proc/meminfo.
    public func resolvedBytes() throws -> Int {
        switch self {
        case .bytes(let bytes): return bytes
        case .fractionOfAvailableMemory(let fraction):
            guard let available = Self.availableMemoryBytes() else {
                throw EngineOptionsError.invalid("cannot read available memory from /proc/meminfo; give a size instead")
            }
            return Int(Double(available) * fraction)
        }
    }

    static func availableMemoryBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kib * 1024
    }
}
