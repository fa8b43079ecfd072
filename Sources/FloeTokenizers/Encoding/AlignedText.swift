/// Text being encoded, as scalars, with for each scalar the range of original-text scalars it
/// came from (HF `NormalizedString`'s alignments). Only the offsets path builds one; the ids-only
/// `encode` works on plain strings, which is several times cheaper.
///
/// Offsets are in Unicode scalars of the original string, which is what HF's Python binding
/// reports (Rust `char` offsets).
struct AlignedText: Sendable {
    var scalars: [Unicode.Scalar]
    /// Original start of each scalar (inclusive).
    var starts: [Int]
    /// Original end of each scalar (exclusive).
    var ends: [Int]

    init() {
        scalars = []
        starts = []
        ends = []
    }

    /// `scalars[i]` comes from original scalar `offset + i`.
    init(_ scalars: some Collection<Unicode.Scalar>, offset: Int = 0) {
        self.scalars = Array(scalars)
        starts = Array(offset..<(offset + self.scalars.count))
        ends = Array((offset + 1)..<(offset + self.scalars.count + 1))
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }
    var string: String { String(scalars: scalars) }

    mutating func append(_ scalar: Unicode.Scalar, start: Int, end: Int) {
        scalars.append(scalar)
        starts.append(start)
        ends.append(end)
    }

    mutating func append(contentsOf other: AlignedText, _ range: Range<Int>) {
        scalars.append(contentsOf: other.scalars[range])
        starts.append(contentsOf: other.starts[range])
        ends.append(contentsOf: other.ends[range])
    }

    subscript(range: Range<Int>) -> AlignedText {
        var result = AlignedText()
        result.append(contentsOf: self, range)
        return result
    }

    /// The original range a run of scalars covers (HF converts a normalized range through the
    /// alignments of its first and last character).
    func originalRange(_ range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty, range.upperBound <= count else {
            let at = range.lowerBound < count ? starts[range.lowerBound] : (ends.last ?? 0)
            return at..<at
        }
        return starts[range.lowerBound]..<max(starts[range.lowerBound], ends[range.upperBound - 1])
    }

    /// Rebuilds the text by mapping every scalar to zero or more scalars that keep its alignment;
    /// what per-character normalizers (lowercase, accents, Bert's cleanup) need.
    func mapScalars(_ transform: (Unicode.Scalar, inout [Unicode.Scalar]) -> Void) -> AlignedText {
        var result = AlignedText()
        result.scalars.reserveCapacity(count)
        result.starts.reserveCapacity(count)
        result.ends.reserveCapacity(count)
        var buffer: [Unicode.Scalar] = []
        for i in 0..<count {
            buffer.removeAll(keepingCapacity: true)
            transform(scalars[i], &buffer)
            for scalar in buffer { result.append(scalar, start: starts[i], end: ends[i]) }
        }
        return result
    }

    /// Splits into pieces at `ranges` (scalar ranges of this text), dropping empty ones.
    func pieces(_ ranges: [Range<Int>], into output: inout [AlignedText]) {
        for range in ranges where !range.isEmpty { output.append(self[range]) }
    }
}
