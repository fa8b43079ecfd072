/// Index of one physical KV-cache block (a run of `blockSize` token slots). A distinct type so
/// block ids are never confused with token ids or positions; runners see them as `Int32`.
public struct BlockID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    init(index: Int) { rawValue = Int32(index) }

    var index: Int { Int(rawValue) }
    public var description: String { "block \(rawValue)" }
    public static func < (lhs: BlockID, rhs: BlockID) -> Bool { lhs.rawValue < rhs.rawValue }
}
