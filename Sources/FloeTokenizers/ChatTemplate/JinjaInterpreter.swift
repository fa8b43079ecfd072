import Foundation

/// An error raised while evaluating; the interpreter attaches the line of the statement being
/// executed when it turns this into `ChatTemplateError.runtime`.
struct JinjaRuntimeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Variables of one jinja2 scope. The template body, every `for` iteration, every macro call
/// and block-set body get their own scope; `if` does not (as in jinja2, a `set` inside a loop
/// is invisible after it, which is why templates use `namespace`).
final class JinjaScope {
    var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }
}

/// Tree-walking renderer for a parsed template. One instance per render call.
final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    let now: Date
    let timeZone: TimeZone
    var callDepth = 0
    static let maxCallDepth = 64

    init(now: Date, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
    }

    /// Renders `nodes` into `out`. Runtime errors get the line of the innermost statement.
    func render(_ nodes: [JinjaNode], scope: JinjaScope, into out: inout String) throws -> Flow {
        for node in nodes {
            let flow: Flow
            do {
                flow = try execute(node, scope: scope, into: &out)
            } catch let e as JinjaRuntimeError {
                throw ChatTemplateError.runtime(message: e.message, line: JinjaInterpreter.line(of: node))
            }
            if flow != .normal { return flow }
        }
        return .normal
    }

    static func line(of node: JinjaNode) -> Int {
        switch node {
        case .text, .generation: 0
        case .output(_, let l), .ifBlock(_, _, let l), .set(_, _, let l), .setBlock(_, _, _, let l), .macro(_, let l),
            .callBlock(_, _, let l), .filterBlock(_, _, let l), .breakLoop(let l), .continueLoop(let l):
            l
        case .forLoop(let f): f.line
        }
    }

    private func execute(_ node: JinjaNode, scope: JinjaScope, into out: inout String) throws -> Flow {
        switch node {
        case .text(let s):
            out += s
        case .output(let expr, _):
            out += try evaluate(expr, scope).pythonString
        case .ifBlock(let branches, let otherwise, _):
            for branch in branches where try evaluate(branch.condition, scope).truthy {
                return try render(branch.body, scope: scope, into: &out)
            }
            return try render(otherwise, scope: scope, into: &out)
        case .forLoop(let loop):
            let items = try evaluate(loop.iterable, scope)
            try runLoop(loop, items: items, depth: 0, scope: scope, into: &out)
        case .set(let target, let expr, _):
            try assign(target, try evaluate(expr, scope), in: scope)
        case .setBlock(let target, let filters, let body, _):
            var value = JinjaValue.string(try capture(body, scope: JinjaScope(parent: scope)))
            for f in filters { value = try applyFilter(f.name, to: value, args: try evaluateArgs(f.args, scope)) }
            try assign(target, value, in: scope)
        case .macro(let def, _):
            scope.variables[def.name] = .function(makeMacro(def, scope: scope))
        case .callBlock(let call, let callerDef, _):
            guard case .call(let callee, let args) = call else { throw JinjaRuntimeError("invalid call block") }
            var evaluated = try evaluateArgs(args, scope)
            evaluated.keyword.append(("caller", .function(makeMacro(callerDef, scope: scope))))
            out += try callValue(try evaluate(callee, scope), evaluated).pythonString
        case .filterBlock(let filters, let body, _):
            var value = JinjaValue.string(try capture(body, scope: JinjaScope(parent: scope)))
            for f in filters { value = try applyFilter(f.name, to: value, args: try evaluateArgs(f.args, scope)) }
            out += value.pythonString
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .generation(let body):
            return try render(body, scope: scope, into: &out)
        }
        return .normal
    }

    func capture(_ body: [JinjaNode], scope: JinjaScope) throws -> String {
        var out = ""
        _ = try render(body, scope: scope, into: &out)
        return out
    }

    func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope) throws {
        switch target {
        case .name(let n):
            scope.variables[n] = value
        case .attribute(let object, let attribute):
            guard case .namespace(let ns) = scope.lookup(object) ?? .undefined(object) else {
                throw JinjaRuntimeError("cannot assign attribute on non-namespace object")
            }
            ns.attributes[attribute] = value
        case .tuple(let targets):
            guard let elements = value.iterationElements, !value.isUndefined else {
                throw JinjaRuntimeError("cannot unpack non-iterable \(value.typeName) object")
            }
            guard elements.count == targets.count else {
                throw JinjaRuntimeError(
                    elements.count > targets.count
                        ? "too many values to unpack (expected \(targets.count))"
                        : "not enough values to unpack (expected \(targets.count), got \(elements.count))")
            }
            for (t, v) in zip(targets, elements) { try assign(t, v, in: scope) }
        }
    }

    /// A `for` loop; `depth` counts recursive `loop(...)` calls.
    private func runLoop(_ loop: JinjaForLoop, items iterable: JinjaValue, depth: Int, scope: JinjaScope, into out: inout String) throws {
        guard var items = iterable.iterationElements else {
            throw JinjaRuntimeError("'\(iterable.typeName)' object is not iterable")
        }
        if let condition = loop.condition {
            // jinja2 filters before counting, so loop.length/index see only kept items.
            items = try items.filter { item in
                let s = JinjaScope(parent: scope)
                try assign(loop.target, item, in: s)
                return try evaluate(condition, s).truthy
            }
        }
        if items.isEmpty {
            _ = try render(loop.otherwise, scope: JinjaScope(parent: scope), into: &out)
            return
        }
        let count = items.count
        for (i, item) in items.enumerated() {
            let s = JinjaScope(parent: scope)
            var info = JinjaDict()
            info["index"] = .int(i + 1)
            info["index0"] = .int(i)
            info["revindex"] = .int(count - i)
            info["revindex0"] = .int(count - i - 1)
            info["first"] = .bool(i == 0)
            info["last"] = .bool(i == count - 1)
            info["length"] = .int(count)
            info["depth"] = .int(depth + 1)
            info["depth0"] = .int(depth)
            info["previtem"] = i > 0 ? items[i - 1] : .undefined("previtem")
            info["nextitem"] = i + 1 < count ? items[i + 1] : .undefined("nextitem")
            info["cycle"] = .function(JinjaFunction(name: "cycle") { args in
                guard !args.positional.isEmpty else { throw JinjaRuntimeError("no items for cycling given") }
                return args.positional[i % args.positional.count]
            })
            if loop.recursive {
                info["__call__"] = .function(JinjaFunction(name: "loop") { [unowned self] args in
                    guard let inner = args.positional.first else { throw JinjaRuntimeError("loop() takes an iterable") }
                    guard depth < JinjaInterpreter.maxCallDepth else { throw JinjaRuntimeError("maximum recursion depth exceeded") }
                    var nested = ""
                    try self.runLoop(loop, items: inner, depth: depth + 1, scope: scope, into: &nested)
                    return .string(nested)
                })
            }
            s.variables["loop"] = .dict(info)
            try assign(loop.target, item, in: s)
            if try render(loop.body, scope: s, into: &out) == .breakLoop { break }
        }
    }

    /// A macro closes over its defining scope weakly: the scope stores the macro, so a strong
    /// reference would leak every render.
    private func makeMacro(_ def: JinjaMacroDef, scope: JinjaScope) -> JinjaFunction {
        JinjaFunction(name: def.name) { [unowned self, weak scope] args in
            guard let scope else { throw JinjaRuntimeError("macro '\(def.name)' called outside its scope") }
            guard self.callDepth < JinjaInterpreter.maxCallDepth else {
                throw JinjaRuntimeError("maximum recursion depth exceeded")
            }
            self.callDepth += 1
            defer { self.callDepth -= 1 }
            let s = JinjaScope(parent: scope)
            for (i, p) in def.parameters.enumerated() {
                if let v = args.get(i, p.name) {
                    s.variables[p.name] = v
                } else if let d = p.defaultValue {
                    s.variables[p.name] = try self.evaluate(d, s)
                } else {
                    s.variables[p.name] = .undefined(p.name)
                }
            }
            s.variables["varargs"] = .tuple(Array(args.positional.dropFirst(def.parameters.count)))
            var kwargs = JinjaDict()
            let names = Set(def.parameters.map(\.name))
            for (k, v) in args.keyword where !names.contains(k) {
                if k == "caller" { s.variables["caller"] = v } else { kwargs[k] = v }
            }
            s.variables["kwargs"] = .dict(kwargs)
            return .string(try self.capture(def.body, scope: s))
        }
    }
}
