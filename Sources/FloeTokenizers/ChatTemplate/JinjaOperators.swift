import Foundation

/// Python semantics for operators. Integer overflow becomes an error (Python would switch to
/// big integers) instead of trapping, and repetition is size-capped so a template cannot
/// exhaust memory.
enum JinjaOperators {
    static let maxRepeat = 1 << 24

    static func undefinedError(_ v: JinjaValue) -> JinjaRuntimeError? {
        if case .undefined(let name) = v { return JinjaRuntimeError("'\(name)' is undefined") }
        return nil
    }

    static func unsupported(_ op: String, _ l: JinjaValue, _ r: JinjaValue) -> JinjaRuntimeError {
        undefinedError(l) ?? undefinedError(r)
            ?? JinjaRuntimeError("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
    }

    static func negate(_ v: JinjaValue) throws -> JinjaValue {
        if case .float(let d) = v { return .float(-d) }
        guard let i = v.asInt else { throw undefinedError(v) ?? JinjaRuntimeError("bad operand type for unary -: '\(v.typeName)'") }
        guard i != Int.min else { throw JinjaRuntimeError("integer overflow") }
        return .int(-i)
    }

    static func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
        guard !r.overflow else { throw JinjaRuntimeError("integer overflow") }
        return .int(r.partialValue)
    }

    static func binary(_ op: JinjaBinaryOp, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        if op == .concat { return .string(l.pythonString + r.pythonString) }
        let li = l.asInt, ri = r.asInt
        let bothInts = li != nil && ri != nil
        // Mixed int/float arithmetic happens in floating point, as in Python.
        if !bothInts, let a = l.asDouble, let b = r.asDouble {
            switch op {
            case .add: return .float(a + b)
            case .subtract: return .float(a - b)
            case .multiply: return .float(a * b)
            default: break
            }
        }
        switch op {
        case .add:
            if bothInts { return try checked(li!.addingReportingOverflow(ri!)) }
            switch (l, r) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)): return .list(a + b)
            case (.tuple(let a), .tuple(let b)): return .tuple(a + b)
            default: break
            }
        case .subtract:
            if bothInts { return try checked(li!.subtractingReportingOverflow(ri!)) }
        case .multiply:
            if bothInts { return try checked(li!.multipliedReportingOverflow(by: ri!)) }
            if let times = ri ?? li {
                let other = ri != nil ? l : r
                let n = max(0, times)
                switch other {
                case .string(let s):
                    guard s.utf8.count * n <= maxRepeat else { throw JinjaRuntimeError("repetition too large") }
                    return .string(String(repeating: s, count: n))
                case .list(let a):
                    guard a.count * n <= maxRepeat else { throw JinjaRuntimeError("repetition too large") }
                    return .list(Array([[JinjaValue]](repeating: a, count: n).joined()))
                default: break
                }
            }
        case .divide:
            if let a = l.asDouble, let b = r.asDouble {
                guard b != 0 else { throw JinjaRuntimeError("division by zero") }
                return .float(a / b)
            }
        case .floorDivide:
            if bothInts {
                guard ri! != 0 else { throw JinjaRuntimeError("integer division or modulo by zero") }
                guard !(li! == Int.min && ri! == -1) else { throw JinjaRuntimeError("integer overflow") }
                let q = li! / ri!
                return .int((li! % ri! != 0 && ((li! < 0) != (ri! < 0))) ? q - 1 : q)
            }
            if let a = l.asDouble, let b = r.asDouble {
                guard b != 0 else { throw JinjaRuntimeError("float floor division by zero") }
                return .float((a / b).rounded(.down))
            }
        case .modulo:
            if case .string(let format) = l { return .string(try JinjaPercentFormat.format(format, r)) }
            if bothInts {
                guard ri! != 0 else { throw JinjaRuntimeError("integer division or modulo by zero") }
                guard ri! != -1 else { return .int(0) }
                let m = li! % ri!
                return .int(m != 0 && ((m < 0) != (ri! < 0)) ? m + ri! : m)
            }
            if let a = l.asDouble, let b = r.asDouble {
                guard b != 0 else { throw JinjaRuntimeError("float modulo") }
                let m = fmod(a, b)
                return .float(m != 0 && ((m < 0) != (b < 0)) ? m + b : m)
            }
        case .power:
            if bothInts, ri! >= 0 {
                var result = 1
                var base = li!
                var e = ri!
                while e > 0 {
                    if e & 1 == 1 { result = try checkedInt(result.multipliedReportingOverflow(by: base)) }
                    e >>= 1
                    if e > 0 { base = try checkedInt(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            }
            if let a = l.asDouble, let b = r.asDouble { return .float(pow(a, b)) }
        case .concat:
            break
        }
        throw unsupported(op.rawValue, l, r)
    }

    private static func checkedInt(_ r: (partialValue: Int, overflow: Bool)) throws -> Int {
        guard !r.overflow else { throw JinjaRuntimeError("integer overflow") }
        return r.partialValue
    }

    /// Python `==`: numbers compare by value across int/float/bool, containers element-wise,
    /// strings by code points (not Swift's canonical equivalence).
    static func equals(_ l: JinjaValue, _ r: JinjaValue) -> Bool {
        switch (l, r) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.pairs.allSatisfy { p in b[p.key].map { equals(p.value, $0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let a = l.asInt, let b = r.asInt { return a == b }
            if let a = l.asDouble, let b = r.asDouble { return a == b }
            return false
        }
    }

    /// Python ordering; nil when the types are not orderable.
    static func order(_ l: JinjaValue, _ r: JinjaValue) -> Int? {
        switch (l, r) {
        case (.string(let a), .string(let b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !equals(x, y) { return order(x, y) }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        default:
            if let a = l.asInt, let b = r.asInt { return a == b ? 0 : (a < b ? -1 : 1) }
            if let a = l.asDouble, let b = r.asDouble { return a == b ? 0 : (a < b ? -1 : 1) }
            return nil
        }
    }

    static func compare(_ op: JinjaCompareOp, _ l: JinjaValue, _ r: JinjaValue) throws -> Bool {
        switch op {
        case .eq: return equals(l, r)
        case .ne: return !equals(l, r)
        case .in: return try contains(r, l)
        case .notIn: return try !contains(r, l)
        case .lt, .le, .gt, .ge:
            guard let o = order(l, r) else {
                throw undefinedError(l) ?? undefinedError(r)
                    ?? JinjaRuntimeError("'\(op.rawValue)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
            }
            switch op {
            case .lt: return o < 0
            case .le: return o <= 0
            case .gt: return o > 0
            default: return o >= 0
            }
        }
    }

    /// `needle in container`.
    static func contains(_ container: JinjaValue, _ needle: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw JinjaRuntimeError("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return JinjaStrings.find(Array(s.unicodeScalars), Array(n.unicodeScalars)) != nil
        case .dict(let d):
            return d[value: needle] != nil
        case .namespace(let ns):
            if case .string(let k) = needle { return ns.attributes[k] != nil }
            return false
        default:
            guard let elements = container.iterationElements else {
                throw JinjaRuntimeError("argument of type '\(container.typeName)' is not iterable")
            }
            return elements.contains { equals($0, needle) }
        }
    }

    /// `x[start:stop:step]` on lists, tuples and strings (code points), Python rules.
    static func slice(_ v: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws -> JinjaValue {
        func bound(_ b: JinjaValue?) throws -> Int? {
            guard let b, !b.isNone else { return nil }
            guard let i = b.asInt else { throw JinjaRuntimeError("slice indices must be integers or None") }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw JinjaRuntimeError("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += count }
                return step > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let lo = clamp(try bound(start), step > 0 ? 0 : count - 1)
            let hi = clamp(try bound(stop), step > 0 ? count : -1)
            return Array(stride(from: lo, to: hi, by: step))
        }
        switch v {
        case .list(let a): return .list(try indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(try indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined: return .undefined("slice")
        default: throw JinjaRuntimeError("'\(v.typeName)' object is not subscriptable")
        }
    }
}
