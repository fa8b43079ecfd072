/// The matches of a pattern whose alternatives cover every scalar (GPT-2, Llama 3, Qwen2): each
/// match starts where the previous ended, so scanning is one `matchEnd` call per piece.
enum PatternTiling {
    static func tile(_ s: [Unicode.Scalar], matchEnd: ([Unicode.Scalar], Int) -> Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        result.reserveCapacity(s.count / 4 + 1)
        var i = 0
        while i < s.count {
            let end = matchEnd(s, i)
            result.append(i..<end)
            i = end
        }
        return result
    }
}
