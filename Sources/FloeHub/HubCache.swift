import Foundation

/// The Hugging Face cache layout that `huggingface_hub` writes, so both share one cache:
///
///     <root>/models--org--name/blobs/<etag>              the file contents, named by etag
///     <root>/models--org--name/blobs/<etag>.incomplete   a download in progress (resumed)
///     <root>/models--org--name/refs/<revision>           the commit a branch or tag resolved to
///     <root>/models--org--name/snapshots/<commit>/<file> relative symlink to ../../blobs/<etag>
public struct HubCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
    /// `~/.cache/huggingface/hub` (huggingface_hub's order).
    public init(environment: [String: String]) {
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty {
            root = URL(fileURLWithPath: Self.expandingTilde(cache))
        } else if let home = environment["HF_HOME"], !home.isEmpty {
            root = URL(fileURLWithPath: Self.expandingTilde(home)).appendingPathComponent("hub")
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            root = URL(fileURLWithPath: Self.expandingTilde(xdg)).appendingPathComponent("huggingface/hub")
        } else {
            root = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/huggingface/hub")
        }
    }

    private static func expandingTilde(_ path: String) -> String { (path as NSString).expandingTildeInPath }

    public func repoFolder(_ repo: String) -> URL {
        root.appendingPathComponent("models--" + repo.replacingOccurrences(of: "/", with: "--"))
    }

    func blob(_ repo: String, etag: String) -> URL { repoFolder(repo).appendingPathComponent("blobs/\(etag)") }

    func incompleteBlob(_ repo: String, etag: String) -> URL {
        repoFolder(repo).appendingPathComponent("blobs/\(etag).incomplete")
    }

    public func snapshot(_ repo: String, commit: String) -> URL {
        repoFolder(repo).appendingPathComponent("snapshots/\(commit)")
    }

    /// The commit `revision` resolves to in the cache: itself if it is a commit id with a
    /// snapshot, else what `refs/<revision>` holds.
    func cachedCommit(_ reference: HubModelReference) -> String? {
        if reference.revisionIsCommit,
            FileManager.default.fileExists(atPath: snapshot(reference.repo, commit: reference.revision).path)
        {
            return reference.revision
        }
        let ref = repoFolder(reference.repo).appendingPathComponent("refs/\(reference.revision)")
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }

    func writeRef(_ repo: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let ref = repoFolder(repo).appendingPathComponent("refs/\(revision)")
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: ref, options: .atomic)
    }

    /// Points `snapshots/<commit>/<file>` at its blob with a relative link, as huggingface_hub
    /// does, replacing an older link.
    func link(_ repo: String, commit: String, file: String, etag: String) throws {
        let target = snapshot(repo, commit: commit).appendingPathComponent(file)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let depth = file.split(separator: "/").count - 1
        let relative = String(repeating: "../", count: depth + 2) + "blobs/\(etag)"
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: relative)
    }
}
