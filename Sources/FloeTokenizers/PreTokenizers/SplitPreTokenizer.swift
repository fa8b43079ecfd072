/// Splits on a pattern (HF `Split`), keeping or dropping the matches per `behavior`.
/// Llama 3 and Qwen2 use it with their regexes and `Isolated`.
public struct SplitPreTokenizer: PreTokenizer {
    /// HF `SplitDelimiterBehavior`: what happens to each match.
    public enum Behavior: String, Sendable {
        case removed = "Removed"
        case isolated = "Isolated"
        case mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext"
        case contiguous = "Contiguous"
    }

    public let pattern: SplitPattern
    public let behavior: Behavior
    /// When set, the pattern describes the pieces' content rather than the delimiters.
    public let invert: Bool

    public init(pattern: SplitPattern, behavior: Behavior, invert: Bool = false) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
    }

    public func preTokenize(_ text: String, into pieces: inout [String]) {
        let scalars = Array(text.unicodeScalars)
        let ranges = Self.split(
            count: scalars.count, matches: pattern.matches(in: scalars), behavior: behavior, invert: invert)
        for range in ranges where !range.isEmpty {
            pieces.append(String(scalars: scalars[range]))
        }
    }

    /// The piece ranges for `matches` over `0..<count`, following HF's `NormalizedString::split`.
    static func split(count: Int, matches: [Range<Int>], behavior: Behavior, invert: Bool) -> [Range<Int>] {
        // (range, isMatch) tiles of the whole input.
        var tiles: [(Range<Int>, Bool)] = []
        var last = 0
        for match in matches {
            if last < match.lowerBound { tiles.append((last..<match.lowerBound, invert)) }
            tiles.append((match, !invert))
            last = match.upperBound
        }
        if last < count { tiles.append((last..<count, invert)) }

        var result: [Range<Int>] = []
        switch behavior {
        case .removed:
            result = tiles.filter { !$0.1 }.map(\.0)
        case .isolated:
            result = tiles.map(\.0)
        case .mergedWithPrevious:
            var previousWasMatch = false
            for (range, isMatch) in tiles {
                if isMatch, !previousWasMatch, let prev = result.popLast() {
                    result.append(prev.lowerBound..<range.upperBound)
                } else {
                    result.append(range)
                }
                previousWasMatch = isMatch
            }
        case .mergedWithNext:
            var previousWasMatch = false
            for (range, isMatch) in tiles {
                if previousWasMatch, !isMatch, let prev = result.popLast() {
                    result.append(prev.lowerBound..<range.upperBound)
                } else {
                    result.append(range)
                }
                previousWasMatch = isMatch
            }
        case .contiguous:
            var previousWasMatch = false
            for (range, isMatch) in tiles {
                if isMatch == previousWasMatch, let prev = result.popLast() {
                    result.append(prev.lowerBound..<range.upperBound)
                } else {
                    result.append(range)
                }
                previousWasMatch = isMatch
            }
        }
        return result
    }
}

extension String {
    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }
}
