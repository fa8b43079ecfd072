import FloeTensor

/// A linear layer's weights and its role under tensor parallelism.
///
/// Column-parallel layers (Q/K/V, gate/up) split their output rows across ranks, so each rank
/// computes a slice of the output; row-parallel layers (O, down) split their input columns, so
/// each rank computes a partial sum that an all-reduce completes.
public struct Linear: Sendable {
    public enum Role: Sendable { case columnParallel, rowParallel, replicated }

    public let weight: Tensor
    public let bias: Tensor?
    public let role: Role

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }

    public init(weight: Tensor, bias: Tensor?, role: Role) {
        self.weight = weight
        self.bias = bias
        self.role = role
    }
}
