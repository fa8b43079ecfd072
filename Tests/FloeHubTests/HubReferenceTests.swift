import FloeHub
import Foundation
import Testing

struct HubReferenceTests {
    @Test func repoIdsAndGGUFFilesParse() throws {
        let plain = try #require(try HubModelReference.parse("HuggingFaceTB/SmolLM2-135M-Instruct"))
        #expect(plain.repo == "HuggingFaceTB/SmolLM2-135M-Instruct" && plain.ggufFile == nil && plain.revision == "main")
        let gguf = try #require(try HubModelReference.parse("org/name-GGUF:sub/model.Q4_1.gguf", revision: "v1"))
        #expect(gguf.repo == "org/name-GGUF" && gguf.ggufFile == "sub/model.Q4_1.gguf" && gguf.revision == "v1")
        let flag = try #require(try HubModelReference.parse("org/name", ggufFile: "m.gguf"))
        #expect(flag.ggufFile == "m.gguf")
    }

    @Test func localLookingPathsAreNotRepoIds() throws {
        #expect(try HubModelReference.parse("models/a/b.gguf") == nil)
        #expect(try HubModelReference.parse("/abs/path") == nil)
        #expect(try HubModelReference.parse("model.gguf") == nil)
    }

    @Test func badGGUFNamesAreRejectedClearly() {
        #expect(throws: HubError.self) { try HubModelReference.parse("org/name:weights.bin") }
        #expect(throws: HubError.self) { try HubModelReference.parse("org/name:../x.gguf") }
        #expect(throws: HubError.self) { try HubModelReference.parse("org/name:a.gguf", ggufFile: "b.gguf") }
    }

    @Test func cacheRootFollowsHuggingFaceHubOrder() {
        #expect(HubCache(environment: ["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]).root.path == "/c")
        #expect(HubCache(environment: ["HF_HOME": "/h", "XDG_CACHE_HOME": "/x"]).root.path == "/h/hub")
        #expect(HubCache(environment: ["XDG_CACHE_HOME": "/x"]).root.path == "/x/huggingface/hub")
        #expect(HubCache(environment: [:]).root.path.hasSuffix(".cache/huggingface/hub"))
        #expect(HubCache(root: URL(fileURLWithPath: "/c")).repoFolder("org/name").path == "/c/models--org--name")
    }

    @Test func environmentSetsEndpointTokenAndOfflineMode() {
        let hub = HubDownloader(environment: ["HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "t", "HF_HUB_OFFLINE": "1"])
        #expect(hub.endpoint.absoluteString == "http://127.0.0.1:9" && hub.token == "t" && hub.isOffline)
        let defaults = HubDownloader(environment: [:])
        #expect(defaults.endpoint.absoluteString == "https://huggingface.co" && defaults.token == nil && !defaults.isOffline)
    }
}
