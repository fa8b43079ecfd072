import Foundation

/// Which files of a repo make a model Floe loads, and whether a snapshot folder holds them all.
enum ModelFileSelection {
    /// Small files taken when the repo has them (config, generation defaults, tokenizer, chat
    /// template); `config.json` and `tokenizer.json` are required for safetensors models.
    static let metadataFiles: Set<String> = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "tokenizer.model", "chat_template.jinja", "model.safetensors.index.json",
    ]

    /// The files to download from a repo listing.
    static func files(in listing: [String], reference: HubModelReference) throws(HubError) -> [String] {
        if let gguf = reference.ggufFile {
            guard listing.contains(gguf) else {
                let ggufs = listing.filter { $0.hasSuffix(".gguf") }
                throw .noModelFiles(
                    repo: reference.repo,
                    reason: "it has no file '\(gguf)'" + (ggufs.isEmpty ? " and no GGUF files" : "; its GGUF files: \(ggufs.joined(separator: ", "))"))
            }
            return [gguf]
        }
        // Top-level files only: subfolders hold other formats (onnx/, original/ ...).
        let topLevel = listing.filter { !$0.contains("/") }
        for required in ["config.json", "tokenizer.json"] where !topLevel.contains(required) {
            let ggufs = listing.filter { $0.hasSuffix(".gguf") }
            throw .noModelFiles(
                repo: reference.repo,
                reason: "no \(required)" + (ggufs.isEmpty ? "" : "; to use one of its GGUF files, name it as \(reference.repo):\(ggufs[0])"))
        }
        let weights = topLevel.filter { $0.hasSuffix(".safetensors") }
        guard !weights.isEmpty else {
            throw .noModelFiles(repo: reference.repo, reason: "no .safetensors weights at the top level")
        }
        return topLevel.filter(metadataFiles.contains).sorted() + weights.sorted()
    }

    /// Whether `folder` (a snapshot) holds a complete model for `reference`: the GGUF file, or
    /// config + tokenizer + every weight shard (all shards the index names, else
    /// `model.safetensors`). A cache written by huggingface_hub passes as well as ours.
    static func isComplete(_ folder: URL, reference: HubModelReference) -> Bool {
        let manager = FileManager.default
        func has(_ name: String) -> Bool { manager.fileExists(atPath: folder.appendingPathComponent(name).path) }
        if let gguf = reference.ggufFile { return has(gguf) }
        guard has("config.json"), has("tokenizer.json") else { return false }
        if let data = try? Data(contentsOf: folder.appendingPathComponent("model.safetensors.index.json")),
            let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let map = index["weight_map"] as? [String: String]
        {
            return Set(map.values).allSatisfy(has)
        }
        return has("model.safetensors")
    }
}
