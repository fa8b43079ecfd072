/// A row-major tensor shape. The last dimension is the contiguous one.
public struct Shape: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(dimensions.allSatisfy { $0 >= 0 }, "negative dimension in \(dimensions)")
        self.dimensions = dimensions
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    public var rank: Int { dimensions.count }
    public var elementCount: Int { dimensions.reduce(1, *) }
    public subscript(_ axis: Int) -> Int { dimensions[axis] }

    /// The number of rows when the tensor is seen as a matrix `[rows, last]`.
    public var rowCount: Int { rank == 0 ? 1 : elementCount / Swift.max(dimensions[rank - 1], 1) }
    public var last: Int { dimensions.last ?? 1 }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
