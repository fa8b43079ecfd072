/// jinja2's `is` tests. Python's type model decides: bool counts as a number, strings and
/// dicts are iterable sequences, and Undefined is iterable (it iterates as empty).
extension JinjaInterpreter {
    func applyTest(_ name: String, to value: JinjaValue, args: JinjaArguments) throws -> Bool {
        func arg() throws -> JinjaValue {
            guard let a = args.get(0, "other") ?? args.get(0, "value") ?? args.get(0, "num") ?? args.get(0, "seq") else {
                throw JinjaRuntimeError("test '\(name)' requires an argument")
            }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true":
            if case .bool(true) = value { return true }
            return false
        case "false":
            if case .bool(false) = value { return true }
            return false
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .float = value { return true }
            return false
        case "number": return value.asDouble != nil
        case "string":
            if case .string = value { return true }
            return false
        case "mapping":
            if case .dict = value { return true }
            return false
        case "iterable":
            switch value {
            case .undefined, .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "callable":
            if case .function = value { return true }
            return false
        case "even", "odd":
            guard let i = value.asInt else {
                guard let d = value.asDouble else { throw JinjaRuntimeError("test '\(name)' expects a number") }
                let m = d.truncatingRemainder(dividingBy: 2)
                return name == "even" ? m == 0 : abs(m) == 1
            }
            return (i & 1 == 0) == (name == "even")
        case "divisibleby":
            guard let n = try arg().asInt, n != 0, let i = value.asInt else { throw JinjaRuntimeError("divisibleby expects integers") }
            return n == -1 || i % n == 0
        case "eq", "equalto", "==": return JinjaOperators.equals(value, try arg())
        case "ne", "!=": return !JinjaOperators.equals(value, try arg())
        case "lt", "lessthan", "<": return try JinjaOperators.compare(.lt, value, try arg())
        case "le", "<=": return try JinjaOperators.compare(.le, value, try arg())
        case "gt", "greaterthan", ">": return try JinjaOperators.compare(.gt, value, try arg())
        case "ge", ">=": return try JinjaOperators.compare(.ge, value, try arg())
        case "in": return try JinjaOperators.contains(try arg(), value)
        case "sameas":
            // Python `is`: identity; for the singletons templates compare against, equality of kind and value.
            switch (value, try arg()) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            case (.int(let a), .int(let b)): return a == b
            case (.string(let a), .string(let b)): return a == b
            default: return false
            }
        case "lower", "upper":
            guard case .string(let s) = value else { return false }
            let cased = s.unicodeScalars.filter { $0.properties.isCased }
            guard !cased.isEmpty else { return false }
            return name == "lower" ? cased.allSatisfy { $0.properties.isLowercase } : cased.allSatisfy { $0.properties.isUppercase }
        case "escaped": return false
        case "filter", "test":
            guard case .string(let other) = try arg() else { return false }
            return name == "filter" ? JinjaInterpreter.filterNames.contains(other) : JinjaInterpreter.testNames.contains(other)
        default:
            throw JinjaRuntimeError("No test named '\(name)'.")
        }
    }

    static let testNames: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "iterable", "sequence", "callable", "even", "odd", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper", "escaped",
        "filter", "test",
    ]

    static let filterNames: Set<String> = [
        "default", "d", "safe", "string", "tojson", "trim", "upper", "lower", "title", "capitalize", "replace", "indent",
        "escape", "e", "forceescape", "wordcount", "format", "int", "float", "abs", "round", "attr", "length", "count",
        "first", "last", "list", "items", "join", "reverse", "map", "select", "reject", "selectattr", "rejectattr",
        "sort", "unique", "dictsort", "batch", "sum", "min", "max",
    ]
}
