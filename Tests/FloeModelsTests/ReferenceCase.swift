import Foundation

/// One case of a `reference_*.json` golden file written by Hugging Face transformers in fp32.
struct ReferenceCase: Decodable, CustomTestStringConvertible {
    let kind: String
    let prompt: String
    let inputIDs: [Int]
    let lastPositionTop10: [[Double]]
    let argmaxPerPosition: [Int]
    let greedy32IDs: [Int]
    let greedy32Text: String

    enum CodingKeys: String, CodingKey {
        case kind, prompt
        case inputIDs = "input_ids"
        case lastPositionTop10 = "last_position_top10"
        case argmaxPerPosition = "argmax_per_position"
        case greedy32IDs = "greedy_32_ids"
        case greedy32Text = "greedy_32_text"
    }

    var testDescription: String { "\(kind): \(prompt.prefix(30).debugDescription)" }

    static func load(_ relativePath: String) -> [ReferenceCase] {
        struct File: Decodable { let cases: [ReferenceCase] }
        let url = Fixtures.root.appendingPathComponent(relativePath)
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            fatalError("cannot read reference file \(url.path)")
        }
        return file.cases
    }
}

import Testing

/// Paths of committed fixtures and of the fetched model files.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let root = repository.appendingPathComponent("Tests/Fixtures")

    /// A model fetched by `scripts/fetch-model.sh` (into `$FLOE_MODELS_DIR` or `models/`).
    static func model(_ file: String) -> String? {
        let directory = ProcessInfo.processInfo.environment["FLOE_MODELS_DIR"]
            ?? repository.appendingPathComponent("models").path
        let path = (directory as NSString).appendingPathComponent(file)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let qwen05B = "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"
}
