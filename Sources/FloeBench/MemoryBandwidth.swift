import FloeTensor
import Foundation

/// Measures this machine's memory copy bandwidth, the ceiling of a decode step that streams
/// every weight once.
public enum MemoryBandwidth {
    public struct Result: Sendable, Codable {
        /// Bytes read plus bytes written per second (the convention of `gpu_baseline.py`).
        public var copyBytesPerSecond: Double
        /// Bytes read per second while copying: the rate at which weights can be streamed.
        public var readBytesPerSecond: Double { copyBytesPerSecond / 2 }
        public var threads: Int
        public var bufferBytes: Int
        /// Bytes per second a matrix-vector product over an f32 matrix far larger than the
        /// caches streams in: what a decode step can read at best on this machine.
        public var streamReadBytesPerSecond: Double?
    }

    /// Times `backend.linear` of one f32 row against a `bufferBytes` f32 matrix (best of
    /// `repeats`): a pure streaming read, since each weight is used once with one FMA.
    public static func measureStreamRead(backend: any Backend, bufferBytes: Int = 512 << 20, repeats: Int = 5) -> Double {
        let columns = 16_384
        let rows = bufferBytes / 4 / columns
        let weight = Tensor(zeros: [rows, columns], dtype: .f32)
        // Touch every page so page faults are not timed.
        memset(weight.address, 0, weight.byteCount)
        let input = Tensor(Array(repeating: 1, count: columns), shape: [1, columns])
        let output = Tensor(zeros: [1, rows], dtype: .f32)
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            backend.linear(input, weight: weight, bias: nil, into: output)
            backend.synchronize()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(weight.byteCount) / best
    }

    /// Copies a `bufferBytes` buffer (far larger than the caches) with `threads` threads, each
    /// its own contiguous part, and keeps the best of `repeats` runs.
    public static func measure(bufferBytes: Int = 512 << 20, threads: Int, repeats: Int = 8) -> Result {
        let source = UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 4096)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 4096)
        defer {
            source.deallocate()
            destination.deallocate()
        }
        // Touch every page first so page faults are not timed.
        memset(source, 1, bufferBytes)
        memset(destination, 2, bufferBytes)
        let part = bufferBytes / threads
        let pointers = UnsafeSendablePointers(source: source, destination: destination)
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { index in
                memcpy(pointers.destination + index * part, pointers.source + index * part, part)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        return Result(copyBytesPerSecond: Double(2 * part * threads) / best, threads: threads, bufferBytes: bufferBytes)
    }
}

/// Raw buffers shared with the copy workers; each worker touches only its own range.
private struct UnsafeSendablePointers: @unchecked Sendable {
    let source: UnsafeMutableRawPointer
    let destination: UnsafeMutableRawPointer
}
