import FloeCUDA
import FloeEngine
import FloeModels
import FloeRunner
import FloeTensor
import Foundation

/// End-to-end checks on the GPU against the Hugging Face golden files: the prompt's argmax at
/// every position, the last position's top-10 logits within bf16 tolerance, and greedy tokens.
public enum ModelChecks {
    /// One case of a `reference_*.json` golden file.
    struct ReferenceCase: Decodable {
        let kind: String
        let inputIDs: [Int]
        let lastPositionTop10: [[Double]]
        let argmaxPerPosition: [Int]
        let greedy32IDs: [Int]

        enum CodingKeys: String, CodingKey {
            case kind
            case inputIDs = "input_ids"
            case lastPositionTop10 = "last_position_top10"
            case argmaxPerPosition = "argmax_per_position"
            case greedy32IDs = "greedy_32_ids"
        }
    }

    /// Checks `modelPath` on `backend` against `referencePath`; at least the first
    /// `requiredGreedy` greedy tokens of each case must match.
    public static func run(
        modelPath: String, referencePath: String, backend: CUDABackend, requiredGreedy: Int = 16, report: inout CheckReport
    ) {
        let label = (modelPath as NSString).lastPathComponent + " (\(backend.weightDType) weights)"
        do {
            struct File: Decodable { let cases: [ReferenceCase] }
            let cases = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: referencePath))).cases
            let loaded = try ModelLoader.load(path: modelPath, backend: backend)
            let generator = SingleSequenceGenerator(model: loaded.model, contextCapacity: 512)
            for (index, reference) in cases.enumerated() {
                let name = "\(label) case \(index) (\(reference.kind))"
                let logits = try generator.logitsForEveryPosition(reference.inputIDs)
                let argmax = logits.map { row in row.indices.max { row[$0] < row[$1] }! }
                let argmaxMatches = zip(argmax, reference.argmaxPerPosition).filter { $0 == $1 }.count
                report.record("model", name + " argmax", passed: argmaxMatches >= reference.argmaxPerPosition.count - 1,
                    "\(argmaxMatches)/\(reference.argmaxPerPosition.count) positions")
                // bf16 weights and activations: logits within 2 % of the logit range.
                let last = logits.last!
                let range = Float(reference.lastPositionTop10.map { $0[1] }.max()! - reference.lastPositionTop10.map { $0[1] }.min()!)
                let worst = reference.lastPositionTop10.map { abs(last[Int($0[0])] - Float($0[1])) }.max()!
                let tolerance = max(0.05, 0.02 * max(range, 1) + 0.02 * Float(abs(reference.lastPositionTop10[0][1])))
                report.record("model", name + " top-10 logits", passed: worst <= tolerance,
                    String(format: "max |Δlogit| %.4f (tolerance %.3f)", worst, tolerance))
                var greedy: [Int] = []
                _ = try generator.generate(
                    prompt: reference.inputIDs, params: SamplingParams(temperature: 0, maxTokens: reference.greedy32IDs.count, ignoreEOS: true)
                ) { token in
                    greedy.append(token)
                    return true
                }
                let matching = zip(greedy, reference.greedy32IDs).prefix { $0 == $1 }.count
                report.record("model", name + " greedy", passed: matching >= min(requiredGreedy, reference.greedy32IDs.count),
                    "first \(matching)/\(reference.greedy32IDs.count) greedy tokens identical")
            }
        } catch {
            report.record("model", label, passed: false, "\(error)")
        }
    }
}
