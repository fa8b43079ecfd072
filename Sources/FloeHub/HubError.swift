/// What can go wrong getting a model from the Hugging Face Hub; every message names the repo or
/// file and says what to do.
public enum HubError: Error, CustomStringConvertible, Equatable {
    case invalidReference(String)
    /// `HF_HUB_OFFLINE=1` and the cache lacks what is needed.
    case offlineCacheMiss(repo: String, revision: String, missing: String)
    case unauthorized(repo: String, status: Int)
    case notFound(repo: String, revision: String, file: String?)
    case http(url: String, status: Int)
    case badResponse(url: String, reason: String)
    case corrupted(file: String, expected: String, actual: String)
    case noModelFiles(repo: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidReference(let reason):
            "invalid Hugging Face model reference: \(reason)"
        case .offlineCacheMiss(let repo, let revision, let missing):
            "HF_HUB_OFFLINE=1 and \(repo)@\(revision) is not in the Hugging Face cache (\(missing)); "
                + "download it once with network access or unset HF_HUB_OFFLINE"
        case .unauthorized(let repo, let status):
            "the Hugging Face Hub refused access to \(repo) (HTTP \(status)): the repo is gated or private; "
                + "set HF_TOKEN to a token that can read it"
        case .notFound(let repo, let revision, let file?):
            "\(repo)@\(revision) has no file '\(file)' on the Hugging Face Hub (HTTP 404)"
        case .notFound(let repo, let revision, nil):
            "no model '\(repo)' (revision '\(revision)') on the Hugging Face Hub (HTTP 404): check the repo id and --revision"
        case .http(let url, let status):
            "the Hugging Face Hub answered HTTP \(status) for \(url)"
        case .badResponse(let url, let reason):
            "unexpected answer from the Hugging Face Hub for \(url): \(reason)"
        case .corrupted(let file, let expected, let actual):
            "download of '\(file)' is corrupted: expected \(expected), got \(actual); the partial file was removed, run again to retry"
        case .noModelFiles(let repo, let reason):
            "\(repo) has no model Floe can load: \(reason)"
        case .io(let path, let reason):
            "cannot write the Hugging Face cache at \(path): \(reason)"
        }
    }
}
