/// Why a CUDA operation failed, in words a user can act on.
public struct CUDAError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
