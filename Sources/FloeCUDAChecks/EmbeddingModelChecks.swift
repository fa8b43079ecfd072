import FloeCPU
import FloeCUDA
import FloeRunner
import Foundation

/// An embedding model end to end on the GPU against sentence-transformers' embeddings
/// (`reference.json` of all-MiniLM-L6-v2, or scripts/make_embedding_goldens.py's files): the
/// token ids must match exactly, and each embedding must point the same way (cosine ≥ 0.999
/// with 16-bit weights; the references are fp32). Every sentence is embedded in one ragged
/// batch and again alone, so a kernel that leaks between sequences of a batch shows.
public enum EmbeddingModelChecks {
    struct Golden: Decodable {
        struct Case: Decodable {
            let text: String
            let input_ids: [Int32]
            let embedding: [Float]?
            let sentence_embedding_384: [Float]?
            var expected: [Float] { embedding ?? sentence_embedding_384 ?? [] }
        }
        let cases: [Case]
    }

    public static let minimumCosine = 0.999

    public static func run(modelPath: String, referencePath: String, backend: CUDABackend, report: inout CheckReport) {
        let label = "\((modelPath as NSString).lastPathComponent) vs \((referencePath as NSString).lastPathComponent) (\(backend.weightDType))"
        do {
            let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: referencePath)))
            guard !golden.cases.isEmpty, golden.cases.allSatisfy({ !$0.expected.isEmpty }) else {
                throw CheckFailure("\(referencePath) has no cases with embeddings")
            }
            let model = try EmbeddingModel.load(directory: modelPath, backend: backend)
            let ids = try golden.cases.map { try model.tokenize($0.text, truncateTo: model.maxInputTokens) }
            let mismatched = zip(ids, golden.cases).filter { $0 != $1.input_ids }.count
            report.record("embedding", label + " token ids", passed: mismatched == 0, "\(mismatched)/\(ids.count) inputs tokenized differently")
            let batched = try model.embedder.embed(ids)
            let alone = try ids.map { try model.embedder.embed([$0])[0] }
            let cosines = zip(batched, golden.cases).map { cosine($0, $1.expected) }
            let worst = cosines.min() ?? 0
            report.record("embedding", label + " batched", passed: worst >= minimumCosine,
                String(format: "worst cosine %.6f over %d inputs (lengths %d…%d)", worst, ids.count, ids.map(\.count).min() ?? 0, ids.map(\.count).max() ?? 0))
            let worstAlone = zip(alone, golden.cases).map { cosine($0, $1.expected) }.min() ?? 0
            report.record("embedding", label + " one by one", passed: worstAlone >= minimumCosine,
                String(format: "worst cosine %.6f", worstAlone))
        } catch {
            report.record("embedding", label, passed: false, "\(error)")
        }
    }

    /// Two model instances on one GPU (`CUDABackend(sharingWeightsWith:)`: own stream, shared
    /// weights) behind one `EmbeddingEngine`, as `floe serve` runs them: every reference input
    /// goes in `copies` times as separate requests, all in flight together, through 64-token
    /// batches so both instances take many; each embedding must match sentence-transformers
    /// (cosine ≥ `minimumCosine`) and the one-instance batched embedding of the same input
    /// (cosine ≥ 0.9999: batches form differently, and a 16-bit rounding may flip; a race
    /// between the streams would show as garbage).
    public static func runInstances(
        modelPath: String, referencePath: String, backend: CUDABackend, copies: Int = 8, report: inout CheckReport
    ) async {
        let label = "\((modelPath as NSString).lastPathComponent) 2 instances (\(backend.weightDType))"
        do {
            let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: referencePath)))
            let model = try EmbeddingModel.load(directory: modelPath, backend: backend)
            let replica = try model.replica(on: CUDABackend(sharingWeightsWith: backend))
            let ids = try golden.cases.map { try model.tokenize($0.text, truncateTo: model.maxInputTokens) }
            let single = try model.embedder.embed(ids)
            let engine = EmbeddingEngine(instances: [model, replica], options: .init(maxBatchTokens: 64))
            defer { engine.shutdown() }
            let outputs = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for copy in 0..<copies {
                    for (index, tokens) in ids.enumerated() {
                        group.addTask { (index, try await engine.embed([.tokens(tokens)], requestID: "\(copy)-\(index)").embeddings) }
                    }
                }
                return try await group.reduce(into: [(Int, [Float])]()) { $0.append($1) }
            }
            let worstGolden = outputs.map { cosine($0.1, golden.cases[$0.0].expected) }.min() ?? 0
            let worstSingle = outputs.map { cosine($0.1, single[$0.0]) }.min() ?? 0
            report.record("embedding", label + " vs reference", passed: outputs.count == ids.count * copies && worstGolden >= minimumCosine,
                String(format: "worst cosine %.6f over %d requests in %d batches", worstGolden, outputs.count, engine.batchCount))
            report.record("embedding", label + " vs one instance", passed: worstSingle >= 0.9999,
                String(format: "worst cosine %.7f", worstSingle))
        } catch {
            report.record("embedding", label, passed: false, "\(error)")
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return 0 }
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / max((na * nb).squareRoot(), 1e-30)
    }
}

struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
