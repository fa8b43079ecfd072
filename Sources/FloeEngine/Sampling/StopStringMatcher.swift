/// Finds stop strings in a request's streamed text and decides how much of it is safe to emit.
///
/// The frontend feeds it each detokenized chunk. Without `includeStopString`, text that could
/// be the start of a stop string is held back until the next chunk settles it, so a stop
/// string (and what follows it) never reaches the client; with it, nothing needs holding
/// back and the output ends right after the stop string. When several stop strings match, the
/// one that starts first wins (ties: the earlier in the list) — vLLM instead takes the first
/// in list order that matches anywhere in the new text.
///
/// Matching is on UTF-8 bytes: exact, and unlike `Character` comparison it cannot be fooled by
/// grapheme clusters (`"\r\n"` is one `Character` but still contains the stop string `"\n"`).
/// Every cut lands on a scalar boundary, because a match or a held-back suffix starts where a
/// stop string starts.
public struct StopStringMatcher: Sendable {
    /// The outcome of one chunk.
    public struct Step: Sendable, Equatable {
        /// Text now safe to send to the client.
        public var text: String
        /// The stop string that ended the output, if one matched.
        public var matchedStopString: String?

        public init(text: String, matchedStopString: String? = nil) {
            self.text = text
            self.matchedStopString = matchedStopString
        }
    }

    public let stopStrings: [String]
    public let includesStopString: Bool
    private let stops: [[UInt8]]
    private let longestStop: Int
    /// Received, not yet emitted.
    private var pending: [UInt8] = []
    /// The last emitted bytes (at most `longestStop - 1`), so a stop string spanning a chunk
    /// boundary is found when emitted text was not held back.
    private var emittedTail: [UInt8] = []
    public private(set) var isStopped = false

    public init(stopStrings: [String], includesStopString: Bool = false) {
        self.stopStrings = stopStrings
        self.includesStopString = includesStopString
        stops = stopStrings.map { Array($0.utf8) }
        longestStop = stops.map(\.count).max() ?? 0
    }

    public init(params: SamplingParams) {
        self.init(stopStrings: params.stop, includesStopString: params.includeStopStringInOutput)
    }

    /// Takes the next chunk of output text. After a match, further chunks yield nothing.
    public mutating func append(_ chunk: String) -> Step {
        guard !isStopped else { return Step(text: "") }
        pending.append(contentsOf: chunk.utf8)
        guard longestStop > 0 else { return emit(upTo: pending.count) }

        let haystack = emittedTail + pending
        if let (start, stopIndex) = earliestMatch(in: haystack) {
            isStopped = true
            let end = includesStopString ? start + stops[stopIndex].count : start
            let emittedEnd = max(end - emittedTail.count, 0)
            let text = String(decoding: pending[..<emittedEnd], as: UTF8.self)
            pending = []
            return Step(text: text, matchedStopString: stopStrings[stopIndex])
        }
        let held = includesStopString ? 0 : longestSuffixThatStartsAStop(of: pending)
        return emit(upTo: pending.count - held)
    }

    /// Releases text still held back, for a request that ended for another reason.
    public mutating func flush() -> String {
        guard !isStopped else { return "" }
        return emit(upTo: pending.count).text
    }

    private mutating func emit(upTo end: Int) -> Step {
        let bytes = pending[..<end]
        let text = String(decoding: bytes, as: UTF8.self)
        emittedTail.append(contentsOf: bytes)
        if emittedTail.count >= longestStop { emittedTail.removeFirst(emittedTail.count - max(longestStop - 1, 0)) }
        pending.removeFirst(end)
        return Step(text: text)
    }

    /// Start offset and stop index of the match that starts first.
    private func earliestMatch(in haystack: [UInt8]) -> (Int, Int)? {
        var best: (Int, Int)?
        for (stopIndex, stop) in stops.enumerated() {
            guard let start = firstOccurrence(of: stop, in: haystack) else { continue }
            if best == nil || start < best!.0 { best = (start, stopIndex) }
        }
        return best
    }

    private func firstOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// Length of the longest suffix of `bytes` that is a proper prefix of some stop string.
    private func longestSuffixThatStartsAStop(of bytes: [UInt8]) -> Int {
        let limit = min(bytes.count, longestStop - 1)
        guard limit > 0 else { return 0 }
        for length in stride(from: limit, through: 1, by: -1) {
            let suffix = bytes[(bytes.count - length)...]
            if stops.contains(where: { $0.count > length && $0.starts(with: suffix) }) { return length }
        }
        return 0
    }
}
