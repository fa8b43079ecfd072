import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Gets a model from the Hugging Face Hub into the HF cache (`HubCache`) and returns the local
/// path to load: the snapshot folder, or the GGUF file inside it.
///
/// - A snapshot that already holds the complete model is used with no request at all (so a
///   cache filled by `huggingface_hub` or an earlier run works offline and starts at once).
/// - `HF_HUB_OFFLINE=1`: only the cache; a clear error if the model is not there.
/// - Otherwise `GET /api/models/{repo}/revision/{rev}` gives the commit and the file list, and
///   each file comes from `/{repo}/resolve/{commit}/{file}`: a `HEAD` (redirects not followed)
///   reads its etag (`X-Linked-Etag` for LFS files: their sha256) and size (`X-Linked-Size`),
///   then a `GET` follows the redirect to the CDN, resuming a `.incomplete` blob with `Range`.
///   LFS files are checked against their sha256, others against their size.
/// - `HF_TOKEN` is sent as `Authorization: Bearer` to the endpoint only, never to CDN hosts.
public struct HubDownloader: Sendable {
    public var endpoint: URL
    public var token: String?
    public var isOffline: Bool
    public var cache: HubCache
    public var showsProgress: Bool

    /// A client that never follows redirects on its own, so the `HEAD` sees the hub's headers
    /// and the token stays on the hub's host.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30), read: .seconds(120))))

    public init(endpoint: URL, token: String?, isOffline: Bool, cache: HubCache, showsProgress: Bool = true) {
        self.endpoint = endpoint
        self.token = token
        self.isOffline = isOffline
        self.cache = cache
        self.showsProgress = showsProgress
    }

    /// `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE` and the cache variables, as huggingface_hub
    /// reads them.
    public init(environment: [String: String], showsProgress: Bool = true) {
        let endpoint = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
        let offline = environment["HF_HUB_OFFLINE"].map { ["1", "on", "yes", "true"].contains($0.lowercased()) } ?? false
        self.init(
            endpoint: endpoint ?? URL(string: "https://huggingface.co")!,
            token: environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }, isOffline: offline,
            cache: HubCache(environment: environment), showsProgress: showsProgress)
    }

    public func localPath(for reference: HubModelReference) async throws -> URL {
        if let commit = cache.cachedCommit(reference) {
            let snapshot = cache.snapshot(reference.repo, commit: commit)
            if ModelFileSelection.isComplete(snapshot, reference: reference) { return path(in: snapshot, reference) }
        }
        if isOffline {
            let missing = cache.cachedCommit(reference) == nil
                ? "no snapshot for this revision under \(cache.repoFolder(reference.repo).path)"
                : "the cached snapshot lacks model files"
            throw HubError.offlineCacheMiss(repo: reference.repo, revision: reference.revision, missing: missing)
        }
        let info = try await repoInfo(reference)
        let files = try ModelFileSelection.files(in: info.files, reference: reference)
        for file in files {
            try await download(file, reference: reference, commit: info.commit)
        }
        do {
            try cache.writeRef(reference.repo, revision: reference.revision, commit: info.commit)
        } catch {
            throw HubError.io(path: cache.repoFolder(reference.repo).path, reason: "\(error)")
        }
        return path(in: cache.snapshot(reference.repo, commit: info.commit), reference)
    }

    private func path(in snapshot: URL, _ reference: HubModelReference) -> URL {
        reference.ggufFile.map { snapshot.appendingPathComponent($0) } ?? snapshot
    }

    // MARK: - Hub API

    struct RepoInfo: Decodable {
        var commit: String
        var files: [String]

        enum CodingKeys: String, CodingKey { case sha, siblings }
        struct Sibling: Decodable { var rfilename: String }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            commit = try c.decode(String.self, forKey: .sha)
            files = try c.decode([Sibling].self, forKey: .siblings).map(\.rfilename)
        }
    }

    func repoInfo(_ reference: HubModelReference) async throws -> RepoInfo {
        let revision = reference.revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? reference.revision
        let url = "\(endpointString)/api/models/\(reference.repo)/revision/\(revision)"
        let response = try await send(url, method: .GET)
        try check(response.status, url: url, reference: reference, file: nil)
        let body = try await response.body.collect(upTo: 64 << 20)
        do {
            return try JSONDecoder().decode(RepoInfo.self, from: Data(body.readableBytesView))
        } catch {
            throw HubError.badResponse(url: url, reason: "the model info is not the expected JSON (\(error))")
        }
    }

    private var endpointString: String {
        var text = endpoint.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    private func check(_ status: HTTPResponseStatus, url: String, reference: HubModelReference, file: String?) throws {
        switch status.code {
        case 200..<300: return
        case 401, 403: throw HubError.unauthorized(repo: reference.repo, status: Int(status.code))
        case 404: throw HubError.notFound(repo: reference.repo, revision: reference.revision, file: file)
        default: throw HubError.http(url: url, status: Int(status.code))
        }
    }

    /// One request; the token goes only to the endpoint's own host.
    private func send(_ url: String, method: HTTPMethod, headers: HTTPHeaders = [:]) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "floe/0.1; hf_hub-compatible")
        if let token, URL(string: url)?.host == endpoint.host, URL(string: url)?.port == endpoint.port {
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        }
        return try await Self.client.execute(request, timeout: .hours(12))
    }

    // MARK: - Files

    struct FileMetadata {
        var etag: String
        var size: Int
        /// Where the bytes are (the CDN for LFS files), when the hub redirected.
        var location: String?
        /// An LFS file's etag is its sha256.
        var isLFS: Bool
    }

    func metadata(_ file: String, reference: HubModelReference, commit: String) async throws -> FileMetadata {
        let path = file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
        var url = "\(endpointString)/\(reference.repo)/resolve/\(commit)/\(path)"
        // Relative redirects are the hub's own (a renamed repo): follow them. Absolute ones go
        // to the CDN: stop and keep the hub's headers.
        for _ in 0..<5 {
            let response = try await send(url, method: .HEAD)
            if (300..<400).contains(response.status.code), let location = response.headers.first(name: "Location"),
                location.hasPrefix("/")
            {
                url = endpointString + location
                continue
            }
            if !(300..<400).contains(response.status.code) {
                try check(response.status, url: url, reference: reference, file: file)
            }
            let headers = response.headers
            guard let rawEtag = headers.first(name: "X-Linked-Etag") ?? headers.first(name: "ETag") else {
                throw HubError.badResponse(url: url, reason: "no ETag header")
            }
            guard let size = (headers.first(name: "X-Linked-Size") ?? headers.first(name: "Content-Length")).flatMap(Int.init)
            else { throw HubError.badResponse(url: url, reason: "no file size header") }
            let etag = Self.normalizedEtag(rawEtag)
            let location = (300..<400).contains(response.status.code) ? headers.first(name: "Location") : nil
            return FileMetadata(
                etag: etag, size: size, location: location ?? url,
                isLFS: headers.first(name: "X-Linked-Etag") != nil && etag.count == 64 && etag.allSatisfy(\.isHexDigit))
        }
        throw HubError.badResponse(url: url, reason: "too many redirects")
    }

    /// `W/"abc"` → `abc`.
    static func normalizedEtag(_ raw: String) -> String {
        var etag = raw.trimmingCharacters(in: .whitespaces)
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        return etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    func download(_ file: String, reference: HubModelReference, commit: String) async throws {
        let meta = try await metadata(file, reference: reference, commit: commit)
        let blob = cache.blob(reference.repo, etag: meta.etag)
        let manager = FileManager.default
        let existing = (try? manager.attributesOfItem(atPath: blob.path)[.size] as? Int) ?? nil
        if existing != meta.size {
            try await fetch(file, meta: meta, into: blob, reference: reference)
        }
        do {
            try cache.link(reference.repo, commit: commit, file: file, etag: meta.etag)
        } catch {
            throw HubError.io(path: blob.path, reason: "\(error)")
        }
    }

    /// Downloads into `<blob>.incomplete` (resuming what is there), verifies, then renames.
    private func fetch(_ file: String, meta: FileMetadata, into blob: URL, reference: HubModelReference) async throws {
        let manager = FileManager.default
        let partial = blob.appendingPathExtension("incomplete")
        do {
            try manager.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !manager.fileExists(atPath: partial.path) { _ = manager.createFile(atPath: partial.path, contents: nil) }
        } catch {
            throw HubError.io(path: partial.path, reason: "\(error)")
        }
        var have = (try? manager.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0
        if have > meta.size {  // Not a prefix of this file: start over.
            try? manager.removeItem(at: partial)
            _ = manager.createFile(atPath: partial.path, contents: nil)
            have = 0
        }
        if have < meta.size {
            have = try await receive(file, meta: meta, from: have, into: partial, reference: reference)
        }
        guard have == meta.size else {
            throw HubError.badResponse(url: meta.location ?? file, reason: "got \(have) of \(meta.size) bytes; run again to resume")
        }
        if meta.isLFS {
            let digest = try Self.sha256(of: partial)
            guard digest == meta.etag else {
                try? manager.removeItem(at: partial)
                throw HubError.corrupted(file: file, expected: "sha256 \(meta.etag)", actual: "sha256 \(digest)")
            }
        }
        do {
            try? manager.removeItem(at: blob)
            try manager.moveItem(at: partial, to: blob)
        } catch {
            throw HubError.io(path: blob.path, reason: "\(error)")
        }
    }

    /// Streams the bytes from `offset` on to the end of `partial`; returns its new size.
    private func receive(_ file: String, meta: FileMetadata, from offset: Int, into partial: URL, reference: HubModelReference)
        async throws -> Int
    {
        var url = meta.location ?? file
        var headers: HTTPHeaders = [:]
        if offset > 0 { headers.add(name: "Range", value: "bytes=\(offset)-") }
        var response = try await send(url, method: .GET, headers: headers)
        for _ in 0..<5 where (300..<400).contains(response.status.code) {
            guard let location = response.headers.first(name: "Location") else { break }
            url = location.hasPrefix("/") ? endpointString + location : location
            response = try await send(url, method: .GET, headers: headers)
        }
        let resumed: Bool
        switch response.status.code {
        case 206: resumed = true
        case 200: resumed = false  // The server ignored Range: take the whole file again.
        default:
            try check(response.status, url: url, reference: reference, file: file)
            throw HubError.http(url: url, status: Int(response.status.code))
        }
        guard let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw HubError.io(path: partial.path, reason: "cannot open for writing")
        }
        defer { try? handle.close() }
        var have = resumed ? offset : 0
        if resumed { try handle.seekToEnd() } else { try handle.truncate(atOffset: 0) }
        var progress = showsProgress ? DownloadProgress(file: file, total: meta.size, resumedFrom: have) : nil
        for try await buffer in response.body {
            try handle.write(contentsOf: Data(buffer.readableBytesView))
            have += buffer.readableBytes
            if have > meta.size {
                try? FileManager.default.removeItem(at: partial)
                throw HubError.corrupted(file: file, expected: "\(meta.size) bytes", actual: "more")
            }
            progress?.update(done: have)
        }
        progress?.finish(done: have)
        return have
    }

    static func sha256(of file: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw HubError.io(path: file.path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalizeHex()
    }
}
