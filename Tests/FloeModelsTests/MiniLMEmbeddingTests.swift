import FloeCPU
import FloeModels
import FloeRunner
import FloeTensor
import Foundation
import Testing

/// all-MiniLM-L6-v2 (real weights, fetched by `scripts/fetch-model.sh minilm`) against
/// sentence-transformers in fp32: the shared reference.json (7 sentences, also the CLS hidden
/// state) and sentence_goldens.json (scripts/make_embedding_goldens.py: unicode, a text over
/// the tokenizer.json's 128 and one over max_seq_length 256, truncated).
@Suite struct MiniLMEmbeddingTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let text: String
            let input_ids: [Int32]
            let embedding: [Float]?
            let sentence_embedding_384: [Float]?
            let last_hidden_state_token0_first8: [Float]?
            var expected: [Float] { embedding ?? sentence_embedding_384 ?? [] }
        }
        let cases: [Case]
    }

    static func golden(_ name: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent("all-MiniLM-L6-v2/\(name)")))
    }

    /// One load shared by the suite's tests (the weights are 90 MB).
    static let model: Result<EmbeddingModel, any Error> = Result {
        guard let path = Fixtures.model("all-MiniLM-L6-v2/model.safetensors") else {
            throw ModelError.invalidConfig("all-MiniLM-L6-v2 is missing: run scripts/fetch-model.sh minilm")
        }
        return try EmbeddingModel.load(directory: (path as NSString).deletingLastPathComponent, backend: CPUBackend(threads: 2))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func pipelineIsReadFromTheFolder() throws {
        let model = try Self.model.get()
        #expect(model.embedder.pipeline == SentenceTransformerConfig(pooling: .mean, normalize: true, maxSequenceLength: 256, dimension: 384))
        #expect(model.maxInputTokens == 256 && model.dimension == 384)
    }

    @Test(arguments: ["reference.json", "sentence_goldens.json"])
    func embeddingsMatchSentenceTransformers(file: String) throws {
        let model = try Self.model.get()
        let cases = try Self.golden(file).cases
        let ids = try cases.map { try model.tokenize($0.text, truncateTo: model.maxInputTokens) }
        #expect(ids == cases.map(\.input_ids))
        // All sentences in one ragged batch, and each alone: both must match.
        let batched = try model.embedder.embed(ids)
        for (index, golden) in cases.enumerated() {
            let alone = try model.embedder.embed([ids[index]])[0]
            #expect(Self.cosine(batched[index], golden.expected) >= 0.99999, "\(golden.text.prefix(40))")
            #expect(Self.cosine(alone, golden.expected) >= 0.99999, "\(golden.text.prefix(40))")
            #expect(zip(batched[index], golden.expected).allSatisfy { abs($0 - $1) < 2e-5 })
        }
    }

    @Test func clsHiddenStateMatches() throws {
        let model = try Self.model.get()
        for golden in try Self.golden("reference.json").cases {
            let hidden = try model.embedder.model.forward([golden.input_ids]) { $0.floats }
            let expected = try #require(golden.last_hidden_state_token0_first8)
            #expect(zip(hidden.prefix(8), expected).allSatisfy { abs($0 - $1) < 1e-4 })
        }
    }

    @Test func overLongInputIsRejectedUnlessTruncated() throws {
        let model = try Self.model.get()
        let long = String(repeating: "word ", count: 300)
        #expect(throws: EmbeddingInputError.tooLong(tokens: 302, limit: 256)) { try model.tokenize(long) }
        #expect(try model.tokenize(long, truncateTo: 1000).count == 256)
        let cut = try model.tokenize(long, truncateTo: 10)
        #expect(cut.count == 10 && cut.first == 101 && cut.last == 102)
        #expect(try model.tokenize("") == [101, 102])
        #expect(throws: EmbeddingInputError.empty) { try model.check(tokens: []) }
        #expect(throws: EmbeddingInputError.tokenOutOfRange(token: 30522, vocabularySize: 30522)) {
            try model.check(tokens: [101, 30522, 102])
        }
        #expect(try model.check(tokens: [Int32](repeating: 1000, count: 300), truncateTo: 256).count == 256)
        #expect(throws: EncoderInputError.emptySequence(index: 1)) { try model.embedder.embed([[101, 102], []]) }
    }
}
