/// Third stage of the encode pipeline: turns one pre-tokenized piece into ids (HF `models`).
public protocol TokenizerModel: Sendable {
    /// Appends the ids of `piece` to `ids`.
    func tokenize(_ piece: String, into ids: inout [Int])
    func id(for token: String) -> Int?
    func token(for id: Int) -> String?
    /// Number of entries in the model's own vocabulary (added tokens not counted).
    var vocabularySize: Int { get }
}
