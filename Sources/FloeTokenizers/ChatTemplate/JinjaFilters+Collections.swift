/// Filters over sequences and mappings: length/first/last/join/list/items, map/select/reject
/// (+attr variants), sort/unique/dictsort/reverse, batch, sum/min/max.
extension JinjaInterpreter {
    /// Returns nil when `name` is not a collection filter.
    func applyCollectionFilter(_ name: String, to value: JinjaValue, args: JinjaArguments) throws -> JinjaValue? {
        switch name {
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .dict(let d): return .int(d.count)
            case .list(let a), .tuple(let a): return .int(a.count)
            case .undefined: return .int(0)
            default: throw JinjaRuntimeError("object of type '\(value.typeName)' has no len()")
            }
        case "first":
            return try elements(value, name).first ?? .undefined("first")
        case "last":
            return try elements(value, name).last ?? .undefined("last")
        case "list":
            return .list(try elements(value, name))
        case "items":
            switch value {
            case .dict(let d): return .list(d.entries.map { .tuple([$0.key, $0.value]) })
            case .undefined: return .list([])
            default: throw JinjaRuntimeError("items filter expects a mapping, got \(value.typeName)")
            }
        case "join":
            let separator = args.get(0, "d")?.pythonString ?? ""
            var items = try elements(value, name)
            if let attribute = args.get(1, "attribute") { items = try items.map { try lookupPath($0, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "reverse":
            if case .string(let s) = value { return .string(JinjaStrings.string(s.unicodeScalars.reversed())) }
            return .list(try elements(value, name).reversed())
        case "map":
            let items = value.truthy ? try elements(value, name) : []
            if let attribute = args.keywordValue("attribute") {
                let fallback = args.keywordValue("default")
                return .list(try items.map { item in
                    let v = try lookupPath(item, attribute)
                    if let fallback, v.isUndefined { return fallback }
                    return v
                })
            }
            guard case .string(let filter)? = args.positional.first else { throw JinjaRuntimeError("map requires a filter name or attribute") }
            let rest = JinjaArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .list(try items.map { try applyFilter(filter, to: $0, args: rest) })
        case "select", "reject":
            // jinja2 checks `if value:` before iterating, so `none|select(...)` is empty.
            let items = value.truthy ? try elements(value, name) : []
            return .list(try items.filter { try passes($0, args, offset: 0) == (name == "select") })
        case "selectattr", "rejectattr":
            guard let attribute = args.positional.first else { throw JinjaRuntimeError("\(name) requires an attribute") }
            let items = value.truthy ? try elements(value, name) : []
            return .list(try items.filter { try passes(try lookupPath($0, attribute), args, offset: 1) == (name == "selectattr") })
        case "sort":
            let reverse = args.get(0, "reverse")?.truthy ?? false
            let caseSensitive = args.get(1, "case_sensitive")?.truthy ?? false
            let attribute = args.get(2, "attribute")
            let keyed = try elements(value, name).map { item in
                (item, sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, caseSensitive))
            }
            return .list(try stableSort(keyed, reverse: reverse).map(\.0))
        case "unique":
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            let attribute = args.get(1, "attribute")
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for item in try elements(value, name) {
                let key = sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, caseSensitive)
                if !seen.contains(where: { JinjaOperators.equals($0, key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return .list(out)
        case "dictsort":
            guard case .dict(let d) = value else { throw JinjaRuntimeError("dictsort expects a mapping") }
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            guard case .string(let by) = args.get(1, "by") ?? .string("key"), by == "key" || by == "value" else {
                throw JinjaRuntimeError("You can only sort by either \"key\" or \"value\"")
            }
            let reverse = args.get(2, "reverse")?.truthy ?? false
            let keyed = d.entries.map { p in
                (JinjaValue.tuple([p.key, p.value]), sortKey(by == "key" ? p.key : p.value, caseSensitive))
            }
            return .list(try stableSort(keyed, reverse: reverse).map(\.0))
        case "batch":
            guard let size = args.get(0, "linecount")?.asInt, size > 0 else { throw JinjaRuntimeError("batch size must be positive") }
            let fill = args.get(1, "fill_with")
            var batches: [JinjaValue] = []
            var current: [JinjaValue] = []
            for item in try elements(value, name) {
                current.append(item)
                if current.count == size { batches.append(.list(current)); current = [] }
            }
            if !current.isEmpty {
                if let fill, !fill.isNone { while current.count < size { current.append(fill) } }
                batches.append(.list(current))
            }
            return .list(batches)
        case "sum":
            var total = args.get(1, "start") ?? .int(0)
            for item in try elements(value, name) {
                total = try JinjaOperators.binary(.add, total, try args.get(0, "attribute").map { try lookupPath(item, $0) } ?? item)
            }
            return total
        case "min", "max":
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            let attribute = args.get(1, "attribute")
            let keyed = try elements(value, name).map { item in
                (item, sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, caseSensitive))
            }
            let sorted = try stableSort(keyed, reverse: false)
            return (name == "min" ? sorted.first : sorted.last)?.0 ?? .undefined(name)
        default:
            return nil
        }
    }

    private func elements(_ value: JinjaValue, _ filter: String) throws -> [JinjaValue] {
        guard let items = value.iterationElements else {
            throw JinjaRuntimeError("'\(value.typeName)' object is not iterable (in filter \(filter))")
        }
        return items
    }

    /// `attribute="a.b"` or an integer index, as jinja2's `make_attrgetter`.
    func lookupPath(_ item: JinjaValue, _ path: JinjaValue) throws -> JinjaValue {
        if let i = path.asInt { return try self.item(of: item, .int(i)) }
        var v = item
        for part in path.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            if let i = Int(part) { v = try self.item(of: v, .int(i)) } else { v = try self.item(of: v, .string(String(part))) }
        }
        return v
    }

    /// select/reject: `args[offset]` names a test, the rest are its arguments; no test means truthiness.
    private func passes(_ value: JinjaValue, _ args: JinjaArguments, offset: Int) throws -> Bool {
        guard args.positional.count > offset else { return value.truthy }
        let test = args.positional[offset].pythonString
        let rest = JinjaArguments(positional: Array(args.positional.dropFirst(offset + 1)), keyword: args.keyword)
        return try applyTest(test, to: value, args: rest)
    }

    private func sortKey(_ v: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// Python's sort is stable; a type mismatch is an error as in Python 3.
    private func stableSort(_ items: [(JinjaValue, JinjaValue)], reverse: Bool) throws -> [(JinjaValue, JinjaValue)] {
        var failure: JinjaRuntimeError? = nil
        let indexed = items.enumerated().map { ($0.offset, $0.element) }
        let sorted = indexed.sorted { a, b in
            guard let o = JinjaOperators.order(a.1.1, b.1.1) else {
                failure = JinjaRuntimeError("'<' not supported between instances of '\(a.1.1.typeName)' and '\(b.1.1.typeName)'")
                return a.0 < b.0
            }
            if o == 0 { return a.0 < b.0 }
            return reverse ? o > 0 : o < 0
        }
        if let failure { throw failure }
        return sorted.map(\.1)
    }
}
