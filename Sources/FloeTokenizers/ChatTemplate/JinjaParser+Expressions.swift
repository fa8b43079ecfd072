/// Expression grammar, following jinja2's precedence (lowest first):
/// conditional `a if c else b` < `or` < `and` < `not` < comparisons / `in` < `+ -` < `~`
/// < `* / // %` < `**` < unary `- +` < postfix (`.x`, `[i]`, `(...)`) then `|filter` / `is test`.
extension JinjaParser {
    /// A comma list becomes a tuple: `{{ a, b }}`, `{% set x = 1, 2 %}`.
    mutating func parseTuple(allowConditional: Bool = true) throws -> JinjaExpr {
        let first = allowConditional ? try parseExpression() : try parseOr()
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .blockEnd || current.kind == .variableEnd || isOp(")") || isName("if") { break }
            items.append(allowConditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws -> JinjaExpr {
        depth += 1
        defer { depth -= 1 }
        guard depth < JinjaParser.maxDepth else { throw error("expression nested too deeply") }
        var expr = try parseOr()
        while skipName("if") {
            let condition = try parseOr()
            let otherwise: JinjaExpr? = skipName("else") ? try parseExpression() : nil
            expr = .conditional(condition: condition, then: expr, otherwise: otherwise)
        }
        return expr
    }

    private mutating func parseOr() throws -> JinjaExpr {
        var lhs = try parseAnd()
        while skipName("or") { lhs = .or(lhs, try parseAnd()) }
        return lhs
    }

    private mutating func parseAnd() throws -> JinjaExpr {
        var lhs = try parseNot()
        while skipName("and") { lhs = .and(lhs, try parseNot()) }
        return lhs
    }

    private mutating func parseNot() throws -> JinjaExpr {
        if skipName("not") {
            depth += 1
            defer { depth -= 1 }
            guard depth < JinjaParser.maxDepth else { throw error("expression nested too deeply") }
            return .unary(.not, try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> JinjaExpr {
        let lhs = try parseAdditive()
        var ops: [(op: JinjaCompareOp, rhs: JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, let op = JinjaCompareOp(rawValue: o), o != "in" {
                _ = advance()
                ops.append((op, try parseAdditive()))
            } else if skipName("in") {
                ops.append((.in, try parseAdditive()))
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                _ = advance()
                _ = advance()
                ops.append((.notIn, try parseAdditive()))
            } else {
                break
            }
        }
        return ops.isEmpty ? lhs : .compare(lhs, ops)
    }

    private mutating func parseAdditive() throws -> JinjaExpr {
        var lhs = try parseConcat()
        while true {
            if skipOp("+") {
                lhs = .binary(.add, lhs, try parseConcat())
            } else if skipOp("-") {
                lhs = .binary(.subtract, lhs, try parseConcat())
            } else {
                return lhs
            }
        }
    }

    private mutating func parseConcat() throws -> JinjaExpr {
        var lhs = try parseMultiplicative()
        while skipOp("~") { lhs = .binary(.concat, lhs, try parseMultiplicative()) }
        return lhs
    }

    private mutating func parseMultiplicative() throws -> JinjaExpr {
        var lhs = try parsePower()
        while true {
            let op: JinjaBinaryOp
            if skipOp("*") { op = .multiply }
            else if skipOp("/") { op = .divide }
            else if skipOp("//") { op = .floorDivide }
            else if skipOp("%") { op = .modulo }
            else { return lhs }
            lhs = .binary(op, lhs, try parsePower())
        }
    }

    private mutating func parsePower() throws -> JinjaExpr {
        var lhs = try parseUnary(withFilter: true)
        while skipOp("**") { lhs = .binary(.power, lhs, try parseUnary(withFilter: true)) }
        return lhs
    }

    /// jinja2 applies filters after a unary minus, so `-1|abs` is `abs(-1)`.
    private mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        depth += 1
        defer { depth -= 1 }
        guard depth < JinjaParser.maxDepth else { throw error("expression nested too deeply") }
        var expr: JinjaExpr
        if skipOp("-") {
            expr = .unary(.negate, try parseUnary(withFilter: false))
        } else if skipOp("+") {
            expr = .unary(.plus, try parseUnary(withFilter: false))
        } else {
            expr = try parsePostfix(try parsePrimary())
        }
        if withFilter { expr = try parseFilterExpr(expr) }
        return expr
    }

    private mutating func parsePrimary() throws -> JinjaExpr {
        let token = advance()
        switch token.kind {
        case .name(let n):
            switch n {
            case "true", "True": return .bool(true)
            case "false", "False": return .bool(false)
            case "none", "None": return .none
            default: return .name(n)
            }
        case .string(var s):
            // Adjacent literals concatenate, as in Python.
            while case .string(let more) = current.kind {
                s += more
                _ = advance()
            }
            return .string(s)
        case .integer(let i): return .int(i)
        case .float(let d): return .float(d)
        case .op("("):
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [JinjaExpr] = []
            while !skipOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if skipOp("]") { break }
                items.append(try parseExpression())
            }
            return .list(items)
        case .op("{"):
            var pairs: [(key: JinjaExpr, value: JinjaExpr)] = []
            while !skipOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if skipOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(describe(token))", at: token)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var expr = base
        while true {
            if skipOp(".") {
                switch advance().kind {
                case .name(let n): expr = .attribute(expr, n)
                case .integer(let i): expr = .item(expr, .int(i))
                default: throw error("expected name or number after '.'", at: tokens[index - 1])
                }
            } else if skipOp("[") {
                expr = try parseSubscript(expr)
            } else if isOp("(") {
                expr = .call(expr, try parseCallArgs())
            } else {
                return expr
            }
        }
    }

    /// `x[i]` or a slice `x[a:b:c]` with any part omitted.
    private mutating func parseSubscript(_ base: JinjaExpr) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        while !skipOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(nil)
                guard parts.count <= 3 else { throw error("invalid slice") }
            } else {
                guard parts[parts.count - 1] == nil else { throw error("expected ']' or ':'") }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        if !isSlice {
            guard let index = parts[0] else { throw error("expected subscript expression") }
            return .item(base, index)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, start: parts[0], stop: parts[1], step: parts[2])
    }

    /// Filters (`|name(args)`), tests (`is [not] name(args)` / `is name arg`) and calls on the
    /// result, in any order, as jinja2's `parse_filter_expr`.
    private mutating func parseFilterExpr(_ base: JinjaExpr) throws -> JinjaExpr {
        var expr = base
        while true {
            if skipOp("|") {
                let name = try parseDottedName()
                expr = .filter(expr, name: name, isOp("(") ? try parseCallArgs() : .empty)
            } else if skipName("is") {
                let negated = skipName("not")
                let name = try parseDottedName()
                var args = JinjaCallArgs.empty
                if isOp("(") {
                    args = try parseCallArgs()
                } else if startsBareTestArgument() {
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                expr = .test(expr, name: name, args, negated: negated)
            } else if isOp("(") {
                expr = .call(expr, try parseCallArgs())
            } else {
                return expr
            }
        }
    }

    /// `x is divisibleby 3`, `x is sameas false`: one argument without parentheses.
    private func startsBareTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "is", "if", "in", "not"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }

    mutating func parseDottedName() throws -> String {
        var name = try expectName()
        while isOp("."), index + 1 < tokens.count, case .name(let more) = tokens[index + 1].kind {
            _ = advance()
            _ = advance()
            name += "." + more
        }
        return name
    }

    mutating func parseCallArgs() throws -> JinjaCallArgs {
        try expectOp("(")
        var args = JinjaCallArgs()
        while !skipOp(")") {
            if !(args.positional.isEmpty && args.keyword.isEmpty) { try expectOp(",") }
            if skipOp(")") { break }
            if isOp("*") || isOp("**") { throw error("*args / **kwargs in calls are not supported") }
            if case .name(let n) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                _ = advance()
                _ = advance()
                args.keyword.append((n, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else { throw error("positional argument follows keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        return args
    }
}
