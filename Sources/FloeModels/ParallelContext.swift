import FloeTensor

/// Which part of the model this rank owns.
///
/// Layers ask it for their share: attention for its head range, column-parallel linears for
/// their output rows, row-parallel linears for their input columns (followed by an all-reduce).
/// With one rank every range is the whole, so the same model code runs unsharded.
public struct ParallelContext: Sendable {
    public let communicator: any Communicator

    public init(communicator: any Communicator = SingleRankCommunicator()) {
        self.communicator = communicator
    }

    public var rank: Int { communicator.rank }
    public var worldSize: Int { communicator.worldSize }

    /// This rank's contiguous share of `count` items split evenly (`count` must divide).
    public func shard(of count: Int) throws -> Range<Int> {
        guard count % worldSize == 0 else {
            throw ModelError.invalidConfig("\(count) cannot be split across \(worldSize) ranks")
        }
        let size = count / worldSize
        return rank * size..<(rank + 1) * size
    }
}
