import Foundation

/// JSON-like data handed to a chat template (messages, tools, extra context).
///
/// Objects keep their key order because `tojson` (Python `json.dumps(sort_keys=False)`) prints
/// keys in insertion order, and tool schemas rendered into a prompt must match what
/// transformers would produce byte for byte.
public enum TemplateValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case object(TemplateObject)

    /// Builds a value from `JSONSerialization` output (`NSDictionary`, `NSArray`, `NSNumber`,
    /// `NSString`, `NSNull`) or plain Swift collections of those.
    ///
    /// `NSDictionary` has no key order, so object keys are sorted to stay deterministic; use
    /// `init(jsonData:)` when the original key order matters (tool schemas under `tojson`).
    /// Returns nil for values that have no JSON meaning.
    public init?(jsonObject: Any) {
        switch jsonObject {
        case is NSNull:
            self = .null
        case let s as String:
            self = .string(s)
        // Plain Swift scalars first: on Linux `as? Bool` also matches NSNumber(1), so exact types.
        case let b as Bool where type(of: jsonObject) == Bool.self:
            self = .bool(b)
        case let i as Int where type(of: jsonObject) == Int.self:
            self = .int(i)
        case let d as Double where type(of: jsonObject) == Double.self:
            self = .double(d)
        case let n as NSNumber:
            self = TemplateValue.fromNumber(n)
        case let a as [Any]:
            var out: [TemplateValue] = []
            out.reserveCapacity(a.count)
            for element in a {
                guard let v = TemplateValue(jsonObject: element) else { return nil }
                out.append(v)
            }
            self = .array(out)
        case let d as [String: Any]:
            var object = TemplateObject()
            for key in d.keys.sorted() {
                guard let v = TemplateValue(jsonObject: d[key]!) else { return nil }
                object[key] = v
            }
            self = .object(object)
        default:
            return nil
        }
    }

    /// Parses JSON text, keeping object key order (see `TemplateJSONParser`).
    public init(jsonData: Data) throws {
        self = try TemplateJSONParser.parse(jsonData)
    }

    /// Parses JSON text, keeping object key order.
    public init(jsonString: String) throws {
        self = try TemplateJSONParser.parse(Data(jsonString.utf8))
    }

    /// `NSNumber` hides whether it was a JSON bool, integer or float. Booleans are instances of
    /// the private boolean subclass (the class of `NSNumber(value: true)`, on Linux and Darwin);
    /// integers have integer objCTypes.
    private static func fromNumber(_ n: NSNumber) -> TemplateValue {
        if ObjectIdentifier(type(of: n)) == ObjectIdentifier(type(of: NSNumber(value: true))) {
            return .bool(n.boolValue)
        }
        let type = String(cString: n.objCType)
        if ["c", "C", "s", "S", "i", "I", "l", "L", "q", "Q"].contains(type) {
            if type == "Q", n.uint64Value > UInt64(Int.max) { return .double(n.doubleValue) }
            return .int(n.intValue)
        }
        return .double(n.doubleValue)
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    /// Dictionary literals keep their written order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(TemplateObject(elements))
    }
}

/// An insertion-ordered string-keyed map (Python dict semantics for the keys we need).
public struct TemplateObject: Sendable, Hashable {
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    public init() {}

    /// Later duplicates overwrite the value but keep the first position, like a Python dict.
    public init(_ pairs: [(String, TemplateValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Key/value pairs in insertion order.
    public var pairs: [(key: String, value: TemplateValue)] { keys.map { ($0, storage[$0]!) } }

    public static func == (lhs: TemplateObject, rhs: TemplateObject) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        hasher.combine(storage)
    }
}
