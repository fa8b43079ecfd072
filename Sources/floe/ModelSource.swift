import ArgumentParser
import FloeHub
import Foundation

/// Turns what the user named as the model into a local path: an existing file or directory is
/// used as it is; otherwise a Hugging Face repo id (`org/name`, or `org/name:file.gguf` for one
/// GGUF file) is fetched into the HF cache, honouring `HF_HUB_CACHE`/`HF_HOME`, `HF_ENDPOINT`,
/// `HF_TOKEN` and `HF_HUB_OFFLINE` as huggingface_hub does.
enum ModelSource {
    static func localPath(for model: String, revision: String?, ggufFile: String?) async throws -> String {
        if FileManager.default.fileExists(atPath: model) {
            if revision != nil || ggufFile != nil {
                throw ValidationError("--revision and --gguf-file apply to Hugging Face repo ids, not to the local path '\(model)'")
            }
            return model
        }
        let reference: HubModelReference?
        do {
            reference = try HubModelReference.parse(model, revision: revision ?? "main", ggufFile: ggufFile)
        } catch {
            throw ValidationError(error.description)
        }
        guard let reference else {
            throw ValidationError(
                "model not found at '\(model)' (expected a .gguf file, a Hugging Face model directory, or a repo id "
                    + "such as HuggingFaceTB/SmolLM2-135M-Instruct or org/name:file.gguf)")
        }
        do {
            return try await HubDownloader(environment: ProcessInfo.processInfo.environment).localPath(for: reference).path
        } catch let error as HubError {
            throw ValidationError(error.description)
        }
    }
}
