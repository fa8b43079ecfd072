/// Collective operations between the ranks of a tensor- or sequence-parallel group.
///
/// Model code calls these at the points where a parallel plan needs them (after a row-parallel
/// linear, around Ulysses attention); with one rank they are no-ops. Implementations (NCCL,
/// in-process ranks for CPU tests) live in `FloeParallel`.
public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var worldSize: Int { get }
    /// Sums `tensor` element-wise across ranks, in place.
    func allReduceSum(_ tensor: Tensor)
}

/// The communicator of a single-rank run: every collective is the identity.
public final class SingleRankCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var worldSize: Int { 1 }
    public func allReduceSum(_ tensor: Tensor) {}
}
