/// One lexical unit of a template. Text outside tags is already whitespace-controlled.
struct JinjaToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin  // {{
        case variableEnd  // }}
        case blockBegin  // {%
        case blockEnd  // %}
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }

    var kind: Kind
    /// Offset in Unicode scalars into the newline-normalized source; see `SourceMap`.
    var offset: Int
}

/// Maps scalar offsets back to 1-based line/column for error messages.
struct SourceMap: Sendable {
    private var lineStarts: [Int] = [0]

    init(_ scalars: [Unicode.Scalar]) {
        for (i, s) in scalars.enumerated() where s == "\n" { lineStarts.append(i + 1) }
    }

    func location(_ offset: Int) -> (line: Int, column: Int) {
        // Binary search for the last line start <= offset.
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }
}
