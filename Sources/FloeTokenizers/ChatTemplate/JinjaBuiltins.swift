import Foundation

/// Global functions: jinja2's `range`, `namespace`, `dict`, plus the two transformers adds,
/// `raise_exception(msg)` and `strftime_now(fmt)`.
extension JinjaInterpreter {
    static let maxRangeLength = 1_000_000

    func builtins() -> [String: JinjaValue] {
        var g: [String: JinjaValue] = [:]
        g["range"] = .function(JinjaFunction(name: "range") { args in
            let ints = try args.positional.map { v -> Int in
                guard let i = v.asInt else { throw JinjaRuntimeError("'\(v.typeName)' object cannot be interpreted as an integer") }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw JinjaRuntimeError("range expected 1 to 3 arguments, got \(ints.count)")
            }
            guard step != 0 else { throw JinjaRuntimeError("range() arg 3 must not be zero") }
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            guard span / Double(abs(step)) <= Double(JinjaInterpreter.maxRangeLength) else {
                throw JinjaRuntimeError("range too big, maximum size is \(JinjaInterpreter.maxRangeLength)")
            }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        })
        g["namespace"] = .function(JinjaFunction(name: "namespace") { args in
            let ns = JinjaNamespace()
            ns.attributes = try JinjaInterpreter.dictFromArguments(args)
            return .namespace(ns)
        })
        g["dict"] = .function(JinjaFunction(name: "dict") { args in .dict(try JinjaInterpreter.dictFromArguments(args)) })
        g["raise_exception"] = .function(JinjaFunction(name: "raise_exception") { args in
            throw ChatTemplateError.raised(message: args.positional.first?.pythonString ?? "")
        })
        let now = self.now, timeZone = self.timeZone
        g["strftime_now"] = .function(JinjaFunction(name: "strftime_now") { args in
            guard case .string(let format)? = args.get(0, "format") else { throw JinjaRuntimeError("strftime_now expects a format string") }
            return .string(JinjaStrftime.format(now, format, timeZone: timeZone))
        })
        return g
    }

    /// `dict(mapping_or_pairs, **kwargs)` / `namespace(...)`.
    static func dictFromArguments(_ args: JinjaArguments) throws -> JinjaDict {
        var d = JinjaDict()
        if let first = args.positional.first {
            switch first {
            case .dict(let src): d = src
            case .namespace(let ns): d = ns.attributes
            default:
                guard let pairs = first.iterationElements else { throw JinjaRuntimeError("dict() argument must be a mapping or pairs") }
                for p in pairs {
                    guard let kv = p.iterationElements, kv.count == 2 else { throw JinjaRuntimeError("dictionary update sequence element has wrong length") }
                    d[value: kv[0]] = kv[1]
                }
            }
        }
        for (k, v) in args.keyword { d[k] = v }
        return d
    }
}
