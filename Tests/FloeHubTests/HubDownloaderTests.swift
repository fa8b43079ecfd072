import FloeHub
import Foundation
import Testing

/// `HubDownloader` against `FakeHub` on loopback, each test with its own cache folder.
@Suite struct HubDownloaderTests {
    let cacheRoot = FileManager.default.temporaryDirectory.appendingPathComponent("floe-hub-\(UUID().uuidString)")

    func downloader(_ hub: FakeHub, token: String? = nil, offline: Bool = false) -> HubDownloader {
        HubDownloader(endpoint: hub.endpoint, token: token, isOffline: offline, cache: HubCache(root: cacheRoot), showsProgress: false)
    }

    var reference: HubModelReference { get throws { try HubModelReference(repo: FakeHub.repo) } }
    var repoFolder: URL { HubCache(root: cacheRoot).repoFolder(FakeHub.repo) }

    func sha256(_ file: String) throws -> String { SHA256.hex(of: try FakeHub.contents(file)) }

    @Test func freshDownloadWritesTheHuggingFaceCacheLayout() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start()
        let result = await outcome { try await downloader(hub).localPath(for: try reference) }
        await hub.stop()
        let snapshot = try result.get()
        #expect(snapshot.path == repoFolder.appendingPathComponent("snapshots/\(FakeHub.commit)").path)
        let expected = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted() == expected)
        for file in expected {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(file)) == FakeHub.contents(file), "\(file)")
        }
        // LFS blobs are named by their sha256, linked relatively, as huggingface_hub does.
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("model.safetensors").path)
        #expect(link == "../../blobs/\(try sha256("model.safetensors"))")
        let ref = try String(contentsOf: repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
        #expect(ref == FakeHub.commit)
        #expect(!hub.requests.contains { $0.contains("README.md") })
        #expect(hub.requests.first == "GET /api/models/\(FakeHub.repo)/revision/main")
    }

    @Test func secondRunReusesTheCacheWithoutRequests() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start()
        let first = await outcome { try await downloader(hub).localPath(for: try reference) }
        let before = hub.requests.count
        let second = await outcome { try await downloader(hub).localPath(for: try reference) }
        let after = hub.requests.count
        await hub.stop()
        #expect(try first.get() == second.get())
        #expect(before > 0 && after == before)
    }

    @Test func cacheWrittenByHuggingFaceHubIsUsedOffline() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        // The layout huggingface_hub's snapshot_download leaves: blobs by etag, relative links,
        // refs/main; here with a sharded checkpoint index, which Floe must read to know the
        // shards it needs.
        let commit = String(repeating: "ab", count: 20)
        let manager = FileManager.default
        let blobs = repoFolder.appendingPathComponent("blobs"), snapshot = repoFolder.appendingPathComponent("snapshots/\(commit)")
        try manager.createDirectory(at: blobs, withIntermediateDirectories: true)
        try manager.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try manager.createDirectory(at: repoFolder.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: repoFolder.appendingPathComponent("refs/main"))
        let index = #"{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#
        let files = ["config.json": "{}", "tokenizer.json": "{}", "model.safetensors.index.json": index,
                     "model-00001-of-00002.safetensors": "1"]
        for (name, text) in files {
            let etag = SHA256.hex(of: Array(name.utf8))
            try Data(text.utf8).write(to: blobs.appendingPathComponent(etag))
            try manager.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path, withDestinationPath: "../../blobs/\(etag)")
        }
        let offline = HubDownloader(
            endpoint: URL(string: "http://127.0.0.1:9")!, token: nil, isOffline: true, cache: HubCache(root: cacheRoot), showsProgress: false)
        // One shard is missing: not complete, and offline mode says so.
        await #expect(throws: HubError.offlineCacheMiss(repo: FakeHub.repo, revision: "main", missing: "the cached snapshot lacks model files")) {
            try await offline.localPath(for: try reference)
        }
        let etag = "shard2"
        try Data("2".utf8).write(to: blobs.appendingPathComponent(etag))
        try manager.createSymbolicLink(
            atPath: snapshot.appendingPathComponent("model-00002-of-00002.safetensors").path, withDestinationPath: "../../blobs/\(etag)")
        #expect(try await offline.localPath(for: try reference).path == snapshot.path)
    }

    @Test func offlineModeWithAnEmptyCacheFailsClearly() async throws {
        let hub = try await FakeHub.start()
        let result = await outcome { try await downloader(hub, offline: true).localPath(for: try reference) }
        await hub.stop()
        #expect(throws: HubError.self) { try result.get() }
        if case .failure(let error as HubError) = result {
            #expect(error.description.contains("HF_HUB_OFFLINE=1") && error.description.contains(FakeHub.repo))
        }
        #expect(hub.requests.isEmpty)
    }

    @Test func partialDownloadIsResumedWithRange() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let digest = try sha256("model.safetensors")
        let whole = try FakeHub.contents("model.safetensors")
        let blobs = repoFolder.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try whole.prefix(400_000).write(to: blobs.appendingPathComponent("\(digest).incomplete"))
        let hub = try await FakeHub.start()
        let result = await outcome { try await downloader(hub).localPath(for: try reference) }
        await hub.stop()
        let snapshot = try result.get()
        #expect(hub.requests.contains("GET /cdn/\(digest) bytes=400000-"))
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == whole)
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(digest).incomplete").path))
    }

    @Test func corruptedDownloadIsDetectedAndDiscarded() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start(.init(corruptedFile: "model.safetensors"))
        let result = await outcome { try await downloader(hub).localPath(for: try reference) }
        await hub.stop()
        let digest = try sha256("model.safetensors")
        guard case .failure(HubError.corrupted(let file, let expected, _)) = result else {
            Issue.record("expected a corrupted-download error, got \(result)")
            return
        }
        #expect(file == "model.safetensors" && expected == "sha256 \(digest)")
        let blobs = repoFolder.appendingPathComponent("blobs")
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(digest).path))
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(digest).incomplete").path))
    }

    @Test func missingTokenIs401AndTheTokenOpensTheRepo() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start(.init(requiredToken: "hf_secret"))
        let refused = await outcome { try await downloader(hub).localPath(for: try reference) }
        let allowed = await outcome { try await downloader(hub, token: "hf_secret").localPath(for: try reference) }
        await hub.stop()
        guard case .failure(let error as HubError) = refused else { Issue.record("expected 401, got \(refused)"); return }
        #expect(error == .unauthorized(repo: FakeHub.repo, status: 401))
        #expect(error.description.contains("HF_TOKEN"))
        #expect(throws: Never.self) { try allowed.get() }
    }

    @Test func unknownRepoAndMissingGGUFAreReportedClearly() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start()
        let unknown = await outcome { try await downloader(hub).localPath(for: try HubModelReference(repo: "floe-test/nope")) }
        let noFile = await outcome {
            try await downloader(hub).localPath(for: try HubModelReference(repo: FakeHub.repo, ggufFile: "other.gguf"))
        }
        await hub.stop()
        guard case .failure(let error as HubError) = unknown else { Issue.record("expected 404, got \(unknown)"); return }
        #expect(error == .notFound(repo: "floe-test/nope", revision: "main", file: nil))
        guard case .failure(let missing as HubError) = noFile else { Issue.record("expected an error, got \(noFile)"); return }
        #expect(missing.description.contains("other.gguf") && missing.description.contains("stories260K-f32.gguf"))
    }

    @Test func ggufReferenceDownloadsOnlyThatFile() async throws {
        defer { try? FileManager.default.removeItem(at: cacheRoot) }
        let hub = try await FakeHub.start()
        let reference = try #require(try HubModelReference.parse("\(FakeHub.repo):stories260K-f32.gguf"))
        let result = await outcome { try await downloader(hub).localPath(for: reference) }
        await hub.stop()
        let file = try result.get()
        #expect(file.lastPathComponent == "stories260K-f32.gguf")
        #expect(try Data(contentsOf: file) == FakeHub.contents("stories260K-f32.gguf"))
        #expect(hub.requests.filter { $0.hasPrefix("HEAD") } == ["HEAD /\(FakeHub.repo)/resolve/\(FakeHub.commit)/stories260K-f32.gguf"])
    }
}

/// The result of `body`, so a test can stop the hub before it checks what happened.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
