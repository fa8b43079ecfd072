/// One GGUF metadata value, with the exact type it was stored as.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    /// Elements all of `elementType` (kept so an empty array still says what it holds).
    case array(elementType: GGUFValueType, values: [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an `Int`, for any integer type whose value fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a `Float`, for float types and integers (which some converters write for
    /// float hyper-parameters, e.g. a rope base of 10000).
    public var floatValue: Float? {
        switch self {
        case .float32(let v): v
        case .float64(let v): Float(v)
        default: intValue.map(Float.init)
        }
    }

    /// A short description of the stored type for error messages, e.g. `array of string`.
    var typeDescription: String {
        if case .array(let elementType, _) = self { return "array of \(elementType)" }
        return "\(type)"
    }
}

/// GGUF's value type ids (`gguf_type` in gguf.h).
public enum GGUFValueType: UInt32, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .float32: "float32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float64: "float64"
        }
    }

    /// The fewest bytes one value of this type can take, used to reject absurd array counts
    /// before allocating for them.
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

extension ByteReader {
    /// Nested arrays deeper than this are rejected rather than recursed into (a crafted file
    /// could otherwise exhaust the stack). Real files nest at most one level.
    static let maximumArrayDepth = 8

    /// Reads one value of `type`; `what` names it (the metadata key) for errors.
    mutating func readValue(_ type: GGUFValueType, what: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what))
        case .int8: return .int8(try read(Int8.self, what))
        case .uint16: return .uint16(try read(UInt16.self, what))
        case .int16: return .int16(try read(Int16.self, what))
        case .uint32: return .uint32(try read(UInt32.self, what))
        case .int32: return .int32(try read(Int32.self, what))
        case .uint64: return .uint64(try read(UInt64.self, what))
        case .int64: return .int64(try read(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, what)))
        case .bool:
            let byte = try read(UInt8.self, what)
            guard byte <= 1 else {
                throw WeightsError(.badHeader(reason: "bool value \(byte) is neither 0 nor 1"), path: path, key: what)
            }
            return .bool(byte == 1)
        case .string: return .string(try readString(what))
        case .array:
            guard depth < Self.maximumArrayDepth else {
                throw WeightsError(.badHeader(reason: "arrays nested deeper than \(Self.maximumArrayDepth)"), path: path, key: what)
            }
            let elementType = try readValueType(what: what)
            let count = try readLength("element count of \(what)", elementBytes: elementType.minimumBytes)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try readValue(elementType, what: what, depth: depth + 1))
            }
            return .array(elementType: elementType, values: values)
        }
    }

    mutating func readValueType(what: String) throws -> GGUFValueType {
        let id = try read(UInt32.self, "value type of \(what)")
        guard let type = GGUFValueType(rawValue: id) else {
            throw WeightsError(.badHeader(reason: "unknown metadata value type \(id)"), path: path, key: what)
        }
        return type
    }
}
