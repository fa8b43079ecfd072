/// Errors from building or configuring a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case unsupportedArchitecture(String)
    case weightMismatch(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message): "invalid model config: \(message)"
        case .unsupportedArchitecture(let name): "unsupported model architecture '\(name)'"
        case .weightMismatch(let message): "model weights do not match the config: \(message)"
        }
    }
}
