/// Recursive-descent parser for the statement layer: `{% if %}`, `{% for %}`, `{% set %}`,
/// `{% macro %}`, `{% call %}`, `{% filter %}`, loop controls and `{% generation %}`.
/// Expressions live in `JinjaParser+Expressions.swift`. Nesting is bounded so hostile templates
/// fail with an error instead of overflowing the stack.
struct JinjaParser {
    private(set) var tokens: [JinjaToken]
    let map: SourceMap
    var index = 0
    var depth = 0
    static let maxDepth = 200

    init(tokens: [JinjaToken], map: SourceMap) {
        self.tokens = tokens
        self.map = map
    }

    static func parse(_ source: String) throws -> [JinjaNode] {
        var lexer = JinjaLexer(source)
        let tokens = try lexer.tokenize()
        var parser = JinjaParser(tokens: tokens, map: lexer.map)
        let (nodes, end) = try parser.parseBody(until: [])
        if let end { throw parser.error("Encountered unknown tag '\(end)'.") }
        return nodes
    }

    // MARK: token helpers

    var current: JinjaToken { tokens[index] }

    mutating func advance() -> JinjaToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func error(_ message: String, at token: JinjaToken? = nil) -> ChatTemplateError {
        let (line, column) = map.location((token ?? current).offset)
        return .syntax(message: message, line: line, column: column)
    }

    var line: Int { map.location(current.offset).line }

    func isOp(_ op: String) -> Bool { current.kind == .op(op) }
    func isName(_ name: String) -> Bool { current.kind == .name(name) }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = advance()
        return true
    }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = advance()
        return true
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw error("expected '\(op)', got \(describe(current))") }
    }

    mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, got \(describe(current))") }
        _ = advance()
        return n
    }

    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw error("expected end of statement block, got \(describe(current))") }
        _ = advance()
    }

    func describe(_ t: JinjaToken) -> String {
        switch t.kind {
        case .text: "template data"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let n): "'\(n)'"
        case .string: "string"
        case .integer(let i): "'\(i)'"
        case .float(let d): "'\(d)'"
        case .op(let o): "'\(o)'"
        case .eof: "end of template"
        }
    }

    // MARK: statements

    /// Parses nodes until a `{% name %}` with `name` in `until` (left unconsumed after the name:
    /// the caller handles the rest of that tag). Returns that name, or nil at end of template.
    mutating func parseBody(until: Set<String>) throws -> ([JinjaNode], String?) {
        depth += 1
        defer { depth -= 1 }
        guard depth < JinjaParser.maxDepth else { throw error("template nested too deeply") }
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .eof:
                if !until.isEmpty {
                    throw error("Unexpected end of template. Expected one of: \(until.sorted().joined(separator: ", ")).")
                }
                return (nodes, nil)
            case .text(let s):
                _ = advance()
                nodes.append(.text(s))
            case .variableBegin:
                _ = advance()
                let l = line
                let expr = try parseTuple()
                guard current.kind == .variableEnd else { throw error("expected end of print statement, got \(describe(current))") }
                _ = advance()
                nodes.append(.output(expr, line: l))
            case .blockBegin:
                _ = advance()
                guard case .name(let tag) = current.kind else { throw error("expected a statement name") }
                if until.contains(tag) {
                    _ = advance()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement())
            default:
                throw error("unexpected \(describe(token))")
            }
        }
    }

    private mutating func parseStatement() throws -> JinjaNode {
        let l = line
        let tag = try expectName()
        switch tag {
        case "if": return try parseIf(line: l)
        case "for": return try parseFor(line: l)
        case "set": return try parseSet(line: l)
        case "macro":
            let name = try expectName()
            let params = try parseParameters()
            try expectBlockEnd()
            let body = try parseBlockBody(end: "endmacro")
            return .macro(JinjaMacroDef(name: name, parameters: params, body: body), line: l)
        case "call":
            let params = isOp("(") ? try parseParameters() : []
            let call = try parseExpression()
            guard case .call = call else { throw error("expected call") }
            try expectBlockEnd()
            let body = try parseBlockBody(end: "endcall")
            return .callBlock(call: call, caller: JinjaMacroDef(name: "caller", parameters: params, body: body), line: l)
        case "filter":
            let filters = try parseFilterChain(first: true)
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: try parseBlockBody(end: "endfilter"), line: l)
        case "break", "continue":
            try expectBlockEnd()
            return tag == "break" ? .breakLoop(line: l) : .continueLoop(line: l)
        case "generation":
            try expectBlockEnd()
            return .generation(try parseBlockBody(end: "endgeneration"))
        default:
            throw error("Encountered unknown or unsupported tag '\(tag)'.", at: tokens[index - 1])
        }
    }

    /// Body of a block closed by `{% end %}` with nothing else in the closing tag.
    private mutating func parseBlockBody(end: String) throws -> [JinjaNode] {
        let (body, _) = try parseBody(until: [end])
        try expectBlockEnd()
        return body
    }

    private mutating func parseIf(line l: Int) throws -> JinjaNode {
        var branches: [(condition: JinjaExpr, body: [JinjaNode])] = []
        var condition = try parseTuple()
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple()
            case "else":
                try expectBlockEnd()
                let otherwise = try parseBlockBody(end: "endif")
                return .ifBlock(branches: branches, otherwise: otherwise, line: l)
            default:
                try expectBlockEnd()
                return .ifBlock(branches: branches, otherwise: [], line: l)
            }
        }
    }

    private mutating func parseFor(line l: Int) throws -> JinjaNode {
        let target = try parseAssignTarget(allowAttribute: false)
        guard skipName("in") else { throw error("expected 'in', got \(describe(current))") }
        let iterable = try parseTuple(allowConditional: false)
        var condition: JinjaExpr? = nil
        if skipName("if") { condition = try parseTuple() }
        let recursive = skipName("recursive")
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endfor", "else"])
        var otherwise: [JinjaNode] = []
        try expectBlockEnd()
        if end == "else" { otherwise = try parseBlockBody(end: "endfor") }
        return .forLoop(
            JinjaForLoop(
                target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
                recursive: recursive, line: l))
    }

    private mutating func parseSet(line l: Int) throws -> JinjaNode {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, line: l)
        }
        let filters = isOp("|") ? try parseFilterChain(first: false) : []
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: try parseBlockBody(end: "endset"), line: l)
    }

    /// `a`, `a, b`, `(a, b)` or (for set) `ns.attr`.
    private mutating func parseAssignTarget(allowAttribute: Bool) throws -> JinjaTarget {
        func single(_ p: inout JinjaParser) throws -> JinjaTarget {
            if p.skipOp("(") {
                let inner = try p.parseAssignTarget(allowAttribute: false)
                try p.expectOp(")")
                return inner
            }
            let name = try p.expectName()
            if allowAttribute, p.skipOp(".") { return .attribute(name, try p.expectName()) }
            return .name(name)
        }
        var items = [try single(&self)]
        var sawComma = false
        while skipOp(",") {
            sawComma = true
            if case .name(let n) = current.kind, n == "in" { break }
            if current.kind == .blockEnd || isOp("=") || isOp(")") { break }
            items.append(try single(&self))
        }
        return sawComma ? .tuple(items) : items[0]
    }

    /// `(a, b=default)` for macros and call blocks.
    private mutating func parseParameters() throws -> [(name: String, defaultValue: JinjaExpr?)] {
        try expectOp("(")
        var params: [(name: String, defaultValue: JinjaExpr?)] = []
        while !skipOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if skipOp(")") { break }
            let name = try expectName()
            let value: JinjaExpr? = skipOp("=") ? try parseExpression() : nil
            if value == nil, params.last?.defaultValue != nil {
                throw error("non-default argument follows default argument")
            }
            params.append((name, value))
        }
        return params
    }

    /// `name(args) | name2 ...` for filter blocks (`first`: no leading `|`) and set blocks.
    private mutating func parseFilterChain(first: Bool) throws -> [(name: String, args: JinjaCallArgs)] {
        var filters: [(name: String, args: JinjaCallArgs)] = []
        var needPipe = !first
        while true {
            if needPipe { guard skipOp("|") else { break } }
            needPipe = true
            let name = try parseDottedName()
            filters.append((name, isOp("(") ? try parseCallArgs() : .empty))
        }
        return filters
    }
}
