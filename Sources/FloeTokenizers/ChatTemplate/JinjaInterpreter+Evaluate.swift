/// Expression evaluation: names, literals, attribute/item access, calls, filters and tests.
extension JinjaInterpreter {
    func evaluate(_ expr: JinjaExpr, _ scope: JinjaScope) throws -> JinjaValue {
        switch expr {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .string(s)
        case .name(let n): return scope.lookup(n) ?? .undefined(n)
        case .list(let items): return .list(try items.map { try evaluate($0, scope) })
        case .tuple(let items): return .tuple(try items.map { try evaluate($0, scope) })
        case .dict(let pairs):
            var d = JinjaDict()
            for p in pairs {
                let key = try evaluate(p.key, scope)
                guard JinjaDict.storageKey(key) != nil else { throw JinjaRuntimeError("unhashable type: '\(key.typeName)'") }
                d[value: key] = try evaluate(p.value, scope)
            }
            return .dict(d)
        case .attribute(let base, let name):
            return try attribute(of: try evaluate(base, scope), name)
        case .item(let base, let index):
            return try item(of: try evaluate(base, scope), try evaluate(index, scope))
        case .slice(let base, let start, let stop, let step):
            return try JinjaOperators.slice(
                try evaluate(base, scope), start: try start.map { try evaluate($0, scope) },
                stop: try stop.map { try evaluate($0, scope) }, step: try step.map { try evaluate($0, scope) })
        case .call(let callee, let args):
            return try callValue(try evaluate(callee, scope), try evaluateArgs(args, scope))
        case .filter(let base, let name, let args):
            // `default` must see undefined operands; everything else gets them too and decides.
            return try applyFilter(name, to: try evaluate(base, scope), args: try evaluateArgs(args, scope))
        case .test(let base, let name, let args, let negated):
            let result = try applyTest(name, to: try evaluate(base, scope), args: try evaluateArgs(args, scope))
            return .bool(result != negated)
        case .unary(let op, let operand):
            let v = try evaluate(operand, scope)
            switch op {
            case .not: return .bool(!v.truthy)
            case .negate: return try JinjaOperators.negate(v)
            case .plus:
                guard v.asDouble != nil else { throw JinjaRuntimeError("bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case .binary(let op, let lhs, let rhs):
            return try JinjaOperators.binary(op, try evaluate(lhs, scope), try evaluate(rhs, scope))
        case .and(let lhs, let rhs):
            let l = try evaluate(lhs, scope)
            return l.truthy ? try evaluate(rhs, scope) : l
        case .or(let lhs, let rhs):
            let l = try evaluate(lhs, scope)
            return l.truthy ? l : try evaluate(rhs, scope)
        case .compare(let first, let rest):
            var lhs = try evaluate(first, scope)
            for (op, rhsExpr) in rest {
                let rhs = try evaluate(rhsExpr, scope)
                guard try JinjaOperators.compare(op, lhs, rhs) else { return .bool(false) }
                lhs = rhs
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, scope).truthy { return try evaluate(then, scope) }
            return try otherwise.map { try evaluate($0, scope) } ?? .undefined("conditional")
        }
    }

    func evaluateArgs(_ args: JinjaCallArgs, _ scope: JinjaScope) throws -> JinjaArguments {
        JinjaArguments(
            positional: try args.positional.map { try evaluate($0, scope) },
            keyword: try args.keyword.map { ($0.name, try evaluate($0.value, scope)) })
    }

    func callValue(_ callee: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        switch callee {
        case .function(let f): return try f.call(args)
        case .dict(let d):
            // A recursive loop's `loop(children)`.
            if case .function(let f)? = d["__call__"] { return try f.call(args) }
        case .undefined(let name): throw JinjaRuntimeError("'\(name)' is undefined")
        default: break
        }
        throw JinjaRuntimeError("'\(callee.typeName)' object is not callable")
    }

    /// `x.name`: jinja2 tries the Python attribute first (so `d.items` is the method), then the
    /// key. Attributes of undefined are undefined (lenient; jinja2 itself raises here).
    func attribute(of value: JinjaValue, _ name: String) throws -> JinjaValue {
        switch value {
        case .undefined: return .undefined(name)
        case .dict(let d):
            if let method = JinjaMethods.method(on: value, name) { return .function(method) }
            return d[name] ?? .undefined(name)
        case .namespace(let ns):
            return ns.attributes[name] ?? .undefined(name)
        default:
            if let method = JinjaMethods.method(on: value, name) { return .function(method) }
            return .undefined(name)
        }
    }

    /// `x[key]`: the key first, then the attribute (jinja2's `getitem`). Missing is undefined.
    func item(of value: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        switch value {
        case .undefined: return .undefined("item")
        case .dict(let d):
            return d[value: key] ?? .undefined(key.pythonString)
        case .list(let a), .tuple(let a):
            guard let i = key.asInt else {
                if case .string(let name) = key { return try attribute(of: value, name) }
                throw JinjaRuntimeError("list indices must be integers, not \(key.typeName)")
            }
            let index = i < 0 ? i + a.count : i
            return index >= 0 && index < a.count ? a[index] : .undefined("index \(i)")
        case .string(let s):
            guard let i = key.asInt else {
                if case .string(let name) = key { return try attribute(of: value, name) }
                throw JinjaRuntimeError("string indices must be integers")
            }
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? i + scalars.count : i
            return index >= 0 && index < scalars.count ? .string(String(scalars[index])) : .undefined("index \(i)")
        case .namespace:
            if case .string(let k) = key { return try attribute(of: value, k) }
            return .undefined(key.pythonString)
        default:
            if case .string(let k) = key { return try attribute(of: value, k) }
            throw JinjaRuntimeError("'\(value.typeName)' object is not subscriptable")
        }
    }
}
