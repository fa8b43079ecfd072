import Foundation

/// Runtime value of the interpreter: Python-like data plus jinja2's Undefined and callables.
/// Lives only during one render, so it needs no Sendable conformance.
enum JinjaValue {
    /// A missing variable/attribute; prints as "", iterates as empty, is falsy (jinja2 Undefined).
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([JinjaValue])
    /// Python tuple: behaves like a list but prints with parentheses.
    case tuple([JinjaValue])
    case dict(JinjaDict)
    /// `namespace(...)`: the one mutable object templates may assign attributes on.
    case namespace(JinjaNamespace)
    case function(JinjaFunction)

    init(_ value: TemplateValue) {
        switch value {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JinjaValue.init))
        case .object(let o):
            var d = JinjaDict()
            for (k, v) in o.pairs { d[k] = JinjaValue(v) }
            self = .dict(d)
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .float(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let a), .tuple(let a): !a.isEmpty
        case .dict(let d): d.count > 0
        case .namespace, .function: true
        }
    }

    /// Elements when iterated (`for`, `list`, `join`...): dicts yield keys, strings characters,
    /// undefined nothing. Nil for non-iterables.
    var iterationElements: [JinjaValue]? {
        switch self {
        case .undefined: []
        case .list(let a), .tuple(let a): a
        case .dict(let d): d.entries.map(\.key)
        case .string(let s): s.unicodeScalars.map { .string(String($0)) }
        case .namespace(let n): n.attributes.keys.map { .string($0) }
        default: nil
        }
    }

    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .function: "function"
        }
    }

    /// Numeric view for arithmetic: bool is an int in Python.
    var asInt: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    var asDouble: Double? {
        switch self {
        case .int(let i): Double(i)
        case .bool(let b): b ? 1 : 0
        case .float(let d): d
        default: nil
        }
    }
}

/// Insertion-ordered dict. Keys are almost always strings; other hashable keys (ints in
/// `{0: 512, 4096: 1024}` lookup tables, none, bools) are stored under a tagged internal key and
/// remembered so iteration, `items` and `tojson` see the original value. As in Python,
/// `1`, `1.0` and `True` are the same key.
struct JinjaDict {
    private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]
    private var originalKeys: [String: JinjaValue] = [:]

    /// Internal key for a Python-hashable value; nil for unhashable ones (lists, dicts).
    static func storageKey(_ key: JinjaValue) -> String? {
        switch key {
        case .string(let s): return s
        case .int, .bool: return "\u{0}i:\(key.asInt!)"
        case .float(let d):
            if d == d.rounded(), abs(d) < 9.2e18 { return "\u{0}i:\(Int(d))" }
            return "\u{0}f:\(d)"
        case .none: return "\u{0}none"
        case .tuple(let items):
            let parts = items.map(storageKey)
            guard !parts.contains(where: { $0 == nil }) else { return nil }
            return "\u{0}t:" + parts.map { $0! }.joined(separator: "\u{1}")
        default: return nil
        }
    }

    subscript(value key: JinjaValue) -> JinjaValue? {
        get { JinjaDict.storageKey(key).flatMap { storage[$0] } }
        set {
            guard let k = JinjaDict.storageKey(key) else { return }
            if case .string = key {} else if storage[k] == nil { originalKeys[k] = key }
            self[k] = newValue
        }
    }

    /// Entries with their original key values, in insertion order.
    var entries: [(key: JinjaValue, value: JinjaValue)] {
        keys.map { (originalKeys[$0] ?? .string($0), storage[$0]!) }
    }

    var count: Int { keys.count }

    subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(key: String, value: JinjaValue)] { keys.map { ($0, storage[$0]!) } }
}

final class JinjaNamespace {
    var attributes = JinjaDict()
}

/// A builtin, macro or bound method. `call` receives evaluated arguments.
struct JinjaFunction {
    let name: String
    let call: (JinjaArguments) throws -> JinjaValue
}

/// Evaluated call arguments with Python-style binding helpers.
struct JinjaArguments {
    var positional: [JinjaValue] = []
    var keyword: [(name: String, value: JinjaValue)] = []

    /// Argument `index` by position, else by keyword `name`; nil when absent.
    func get(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword.first { $0.name == name }?.value
    }

    func keywordValue(_ name: String) -> JinjaValue? { keyword.first { $0.name == name }?.value }
}
