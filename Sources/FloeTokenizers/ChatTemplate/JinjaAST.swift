/// Parsed template. Immutable and Sendable so a `ChatTemplate` parses once and renders from
/// many threads.
indirect enum JinjaExpr: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(key: JinjaExpr, value: JinjaExpr)])
    case attribute(JinjaExpr, String)
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
    case call(JinjaExpr, JinjaCallArgs)
    case filter(JinjaExpr, name: String, JinjaCallArgs)
    case test(JinjaExpr, name: String, JinjaCallArgs, negated: Bool)
    case unary(JinjaUnaryOp, JinjaExpr)
    case binary(JinjaBinaryOp, JinjaExpr, JinjaExpr)
    /// `a and b`, `a or b`: short-circuit and return an operand (Python semantics).
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    /// Chained comparisons: `a < b <= c`.
    case compare(JinjaExpr, [(op: JinjaCompareOp, rhs: JinjaExpr)])
    /// `x if cond else y`; a missing else yields undefined.
    case conditional(condition: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

struct JinjaCallArgs: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(name: String, value: JinjaExpr)] = []
    static let empty = JinjaCallArgs()
}

enum JinjaUnaryOp: Sendable { case not, negate, plus }

enum JinjaBinaryOp: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%"
    case power = "**", concat = "~"
}

enum JinjaCompareOp: String, Sendable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", `in` = "in", notIn = "not in"
}

/// Left side of `set` and `for`.
indirect enum JinjaTarget: Sendable {
    case name(String)
    /// `ns.attr` (only namespaces accept attribute assignment, as in jinja2).
    case attribute(String, String)
    case tuple([JinjaTarget])
}

struct JinjaMacroDef: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: JinjaExpr?)]
    var body: [JinjaNode]
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, line: Int)
    case ifBlock(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case forLoop(JinjaForLoop)
    case set(JinjaTarget, JinjaExpr, line: Int)
    /// `{% set x | filter %}...{% endset %}`
    case setBlock(JinjaTarget, filters: [(name: String, args: JinjaCallArgs)], body: [JinjaNode], line: Int)
    case macro(JinjaMacroDef, line: Int)
    /// `{% call(params) macro(args) %}body{% endcall %}`: body becomes `caller(params)`.
    case callBlock(call: JinjaExpr, caller: JinjaMacroDef, line: Int)
    case filterBlock(filters: [(name: String, args: JinjaCallArgs)], body: [JinjaNode], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// `{% generation %}` from transformers' AssistantTracker: renders its body unchanged.
    case generation([JinjaNode])
}

struct JinjaForLoop: Sendable {
    var target: JinjaTarget
    var iterable: JinjaExpr
    var condition: JinjaExpr?
    var body: [JinjaNode]
    var otherwise: [JinjaNode]
    var recursive: Bool
    var line: Int
}
