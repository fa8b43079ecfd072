/// A bounds-checked little-endian cursor over a file's bytes. Every read checks that it stays
/// inside the buffer and throws `truncated` (naming what was being read) when it would not, so
/// no header field, however corrupt, can make a parser read outside the file.
struct ByteReader {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    private(set) var position = 0

    init(base: UnsafeRawPointer, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
    }

    var remaining: Int { count - position }

    /// Advances past `byteCount` bytes, returning where they start.
    mutating func skip(_ byteCount: Int, what: @autoclosure () -> String) throws -> Int {
        guard byteCount >= 0, byteCount <= remaining else {
            throw WeightsError(.truncated(what: what()), path: path)
        }
        defer { position += byteCount }
        return position
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let start = try skip(MemoryLayout<T>.size, what: what())
        return T(littleEndian: base.loadUnaligned(fromByteOffset: start, as: T.self))
    }

    /// A length or count field that must fit in memory; a value larger than the whole file
    /// cannot be real and is reported as implausible (a value merely past the end, as truncated).
    mutating func readLength(_ what: @autoclosure () -> String, elementBytes: Int = 1) throws -> Int {
        let value = try read(UInt64.self, what())
        let (bytes, overflow) = value.multipliedReportingOverflow(by: UInt64(elementBytes))
        guard !overflow, bytes <= UInt64(count) else {
            throw WeightsError(.implausibleSize(what: what(), value: value), path: path)
        }
        return Int(value)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try readLength("length of \(what())")
        let start = try skip(length, what: what())
        let bytes = UnsafeRawBufferPointer(start: base + start, count: length)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw WeightsError(.badHeader(reason: "\(what()) is not valid UTF-8"), path: path)
        }
        return string
    }
}
